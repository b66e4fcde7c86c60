using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// The pipeline with a rule file whose RCPT ACL is Exim's SPF example followed by relay control
/// from a Redis set; a real NSD behind a real Unbound serves the SPF records of spf.test (pass.spf.test allows
/// 127.0.0.0/8, fail.spf.test allows nobody, soft.spf.test softfails everybody) and a real Redis
/// holds relay_from_ips. Ingress leaves relay control to the rules (RelayFromHosts = *).
/// </summary>
public sealed class RulesFixture : PipelineFixture
{
    public DnsServer Dns { get; private set; } = null!;

    /// <summary>Unbound in front of <see cref="Dns"/>: what policy asks; names under timeout.test never get an answer.</summary>
    public Resolver Resolver { get; private set; } = null!;

    public RedisServer Redis { get; private set; } = null!;

    /// <summary>The private key of selector "sel" of pass.spf.test, for dkimsign and delivery's signing.</summary>
    public string DkimKey => Path.Combine(Path.GetDirectoryName(_rules)!, "dkim.key");

    /// <summary>Its key record, as DNS serves it.</summary>
    public string DkimRecord { get; private set; } = "";

    private readonly string _rules = Path.Combine(Directory.CreateTempSubdirectory("pipeline-rules-").FullName, "rules.conf");

    public override async Task InitializeAsync()
    {
        await Command.RunAsync("openssl", ["genrsa", "-out", DkimKey, "2048"], "");
        var (_, publicKey) = await Command.RunAsync("sh", ["-c", $"openssl rsa -in {DkimKey} -pubout -outform DER 2>/dev/null | base64 -w0"], "");
        // A TXT string holds 255 octets at most: the key record is several strings in one RR.
        DkimRecord = $"v=DKIM1; k=rsa; p={publicKey.Trim()}";
        var key = string.Join("\" \"", DkimRecord.Chunk(200).Select(c => new string(c)));
        Dns = await DnsServer.StartAsync(new Dictionary<string, string[]>
        {
            ["spf.test"] =
            [
                $"sel._domainkey.pass IN TXT \"{key}\"",
                "pass IN TXT \"v=spf1 ip4:127.0.0.0/8 -all\"",
                "fail IN TXT \"v=spf1 ip4:192.0.2.1 -all\"",
                "soft IN TXT \"v=spf1 ~all\"",
                "include IN TXT \"v=spf1 include:pass.spf.test -all\"",
                "_dmarc.pass IN TXT \"v=DMARC1; p=reject\"",
                "_dmarc.reject IN TXT \"v=DMARC1; p=reject; aspf=s\"",
                "_dmarc.quarantine IN TXT \"v=DMARC1; p=quarantine; aspf=s\"",
                "_dmarc.sampled IN TXT \"v=DMARC1; p=reject; pct=0; aspf=s\"",
                "_dmarc.broken IN TXT \"v=DMARC1; p=bogus; aspf=s\"",
            ],
            // An organizational domain with p=none and sp=quarantine for its subdomains.
            ["other.test"] =
            [
                "_dmarc IN TXT \"v=DMARC1; p=none; sp=quarantine\"",
                "relaxed IN TXT \"v=spf1 ip4:127.0.0.0/8 -all\"",
            ],
            // A domain without any DMARC record.
            ["plain.test"] = [],
        });
        Resolver = await Resolver.StartAsync(Dns, ["spf.test", "other.test", "plain.test"]);
        Redis = await RedisServer.StartAsync();
        await Redis.CliAsync("SADD", "relay_from_ips", "127.0.0.1", "192.0.2.0/24");
        await Redis.CliAsync("HSET", "user:refuser@example.test", "reject_content", "yes");
        await Redis.CliAsync("HSET", "user:later@example.test", "defer_content", "yes");
        await File.WriteAllTextAsync(_rules, """
            # The RCPT ACL of Exim's SPF section, in the pipeline's rule format.
            rcpt:
              deny    spf = fail
                      message = $sender_host_address is not allowed to send mail from \
                                ${if def:sender_address_domain {$sender_address_domain}{$sender_helo_name}}
                      log_message = SPF check failed.
              defer   spf = temperror
                      message = Temporary DNS error while checking SPF record.  Try again later.
              warn    spf = softfail : neutral
                      set acl_m_spf_doubt = yes
              warn    add_header = $spf_received
              deny    senders = flood@pass.spf.test
                      ratelimit = 3 / 1h / per_rcpt / strict / $sender_address
                      message = $sender_address sends $sender_rate recipients an hour, over $sender_rate_limit
              warn    domains = lists.example.test
                      set acl_m_mailinglist = 1
              accept  domains = example.test
              accept  hosts = <\n ${lookup redis{SMEMBERS relay_from_ips}}
              deny    message = relay not permitted by the rules

            # DMARC at the end of data: the ACL of Exim's DMARC chapter.
            data:
              deny    condition = ${if eq{$dmarc_domain_policy}{reject}}
                      condition = ${if eq{$acl_m_mailinglist}{1}}
                      message = Messages from $dmarc_used_domain break mailing lists
              deny    dmarc_status = reject
                      !authenticated = *
                      message = Message from $dmarc_used_domain failed sender's DMARC policy, REJECT
              warn    dmarc_status = quarantine
                      !authenticated = *
                      add_header = X-Quarantine: DMARC policy of $dmarc_used_domain ($dmarc_domain_policy)
              accept

            # Per-recipient content verdicts with PRDR, from each user's settings in Redis.
            prdr:
              deny    condition = ${lookup redis{HGET user:$local_part@$domain reject_content}}
                      message = $local_part@$domain does not take this content
              defer   condition = ${lookup redis{HGET user:$local_part@$domain defer_content}}
                      message = $local_part@$domain takes this content later
              accept
            """);
        try
        {
            await base.InitializeAsync();
        }
        catch
        {
            // xunit does not dispose a fixture whose start failed: stop the servers started here.
            await Resolver.DisposeAsync();
            await Dns.DisposeAsync();
            await Redis.DisposeAsync();
            throw;
        }
    }

    protected override Dictionary<string, string> Extra => new()
    {
        ["Policy:Rules"] = _rules,
        ["Policy:PrimaryHostname"] = "mx.example.test",
        ["Dns:Servers:0"] = $"127.0.0.1:{Resolver.Port}",
        ["Dns:Timeout"] = "00:00:01",
        ["Dns:Retries"] = "0",
        ["Policy:RedisServers:0"] = $"127.0.0.1:{Redis.Port}//",
        ["Ingress:RelayFromHosts:0"] = "*",
        ["Ingress:PrdrEnable"] = "true",
        ["Policy:AuthenticationResults"] = "true",
        ["Delivery:DkimDomain"] = "pass.spf.test",
        ["Delivery:DkimSelector"] = "sel",
        ["Delivery:DkimPrivateKey"] = DkimKey,
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Resolver.DisposeAsync();
        await Dns.DisposeAsync();
        await Redis.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_rules)!, recursive: true);
    }
}

/// <summary>Rules (ACLs) through swaks → ingress → policy, with SPF answered by real DNS.</summary>
public sealed class acl_rules(RulesFixture fixture) : IClassFixture<RulesFixture>
{
    private Task<Swaks.Result> SendAsync(string from, string subject) =>
        Swaks.SendAsync(fixture.Settings.SmtpPort, null, "--from", from, "--to", "someone@example.test", "--header", $"Subject: {subject}");

    [Fact]
    public async Task an_spf_fail_is_denied_at_rcpt_with_the_acls_message()
    {
        (await SendAsync("alice@fail.spf.test", "spf-fail")).AssertRefusedWith("550 5.7.1 127.0.0.1 is not allowed to send mail from fail.spf.test");
    }

    [Fact]
    public async Task a_dns_timeout_while_checking_spf_defers_with_the_acls_message() =>
        (await SendAsync("alice@timeout.test", "spf-timeout")).AssertRefusedWith("451 4.7.1 Temporary DNS error while checking SPF record.  Try again later.");

    [Fact]
    public async Task a_sender_over_its_rate_is_refused_from_the_recipient_that_crosses_it()
    {
        var swaks = await Swaks.SendAsync(fixture.Settings.SmtpPort, null, "--from", "flood@pass.spf.test",
            "--to", "a@example.test,b@example.test,c@example.test,d@example.test,e@example.test", "--header", "Subject: flood");
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Count(swaks.Transcript, "<-  250 2.1.5 Accepted"));
        Assert.True(2 == System.Text.RegularExpressions.Regex.Count(swaks.Transcript, @"<\*\* 550 5\.7\.1 flood@pass\.spf\.test sends [0-9.]+ recipients an hour, over 3"), swaks.Transcript);
        Assert.NotNull(swaks.MessageId);
    }

    [Theory]
    [InlineData("alice@pass.spf.test", "pass")]
    [InlineData("alice@include.spf.test", "pass")]
    [InlineData("alice@soft.spf.test", "softfail")]
    [InlineData("alice@nothing.spf.test", "none")]
    public async Task others_are_accepted_with_a_received_spf_header(string from, string result)
    {
        var subject = $"spf-{result}-{Guid.NewGuid():N}";
        var swaks = await SendAsync(from, subject);
        Assert.NotNull(swaks.MessageId);
        var delivered = Assert.Single(await fixture.DeliveredAsync(swaks.MessageId!, subject));
        Assert.Contains($"Received-SPF: {result} (mx.example.test: ", delivered, StringComparison.Ordinal);
        Assert.Contains($"client-ip=127.0.0.1; envelope-from=\"{from}\"; helo=", delivered, StringComparison.Ordinal);
        Assert.True(delivered.IndexOf("Received-SPF:", StringComparison.Ordinal) < delivered.IndexOf("Subject:", StringComparison.Ordinal));
    }
}

/// <summary>Relay control from a Redis set through the rules, with swaks.</summary>
public sealed class redis_lookups(RulesFixture fixture) : IClassFixture<RulesFixture>
{
    private Task<Swaks.Result> RelayAsync(string from, string subject) =>
        Swaks.SendAsync(fixture.Settings.SmtpPort, null, "--local-interface", from, "--from", "alice@pass.spf.test",
            "--to", "someone@elsewhere.test", "--header", $"Subject: {subject}");

    [Fact]
    public async Task a_client_in_the_redis_set_may_relay_and_others_may_not()
    {
        var subject = $"relay-{Guid.NewGuid():N}";
        var member = await RelayAsync("127.0.0.1", subject);
        Assert.NotNull(member.MessageId);
        Assert.Single(await fixture.DeliveredAsync(member.MessageId!, subject));

        (await RelayAsync("127.0.0.2", "outsider")).AssertRefusedWith("550 5.7.1 relay not permitted by the rules");

        await fixture.Redis.CliAsync("SADD", "relay_from_ips", "127.0.0.2");
        Assert.NotNull((await RelayAsync("127.0.0.2", "now a member")).MessageId);
        await fixture.Redis.CliAsync("SREM", "relay_from_ips", "127.0.0.2");
    }

    [Fact]
    public async Task a_redis_server_that_is_down_defers_and_never_accepts()
    {
        await fixture.Redis.StopAsync();
        try
        {
            (await RelayAsync("127.0.0.1", "redis-down")).AssertRefusedWith("451 4.7.1 Temporary local problem - please try later");
        }
        finally
        {
            await fixture.Redis.StartAgainAsync();
            await fixture.Redis.CliAsync("SADD", "relay_from_ips", "127.0.0.1", "192.0.2.0/24");
        }

        Assert.NotNull((await RelayAsync("127.0.0.1", "redis-back")).MessageId);
    }
}

/// <summary>PRDR verdicts per recipient from settings in Redis, with Exim as the client.</summary>
public sealed class prdr_verdicts_from_redis(RulesFixture fixture) : IClassFixture<RulesFixture>
{
    [Fact]
    public async Task exim_logs_each_recipients_own_result()
    {
        using var exim = new EximClient(fixture.Settings.SmtpPort);
        var subject = $"prdr-redis-{Guid.NewGuid():N}";
        await exim.SendAsync("sender@pass.spf.test", $"Subject: {subject}\n\nthree users, three settings\n",
            "taker@example.test", "refuser@example.test", "later@example.test");
        var log = exim.MainLog;

        Assert.Matches(@"=> taker@example\.test R=to_pipeline T=pipeline_smtp H=127\.0\.0\.1 \[127\.0\.0\.1\] PRDR .*C=""250 2\.0\.0 OK", log);
        Assert.Matches(@"\*\* refuser@example\.test R=to_pipeline T=pipeline_smtp .*550 5\.7\.1 refuser@example\.test does not take this content", log);
        Assert.Matches(@"== later@example\.test R=to_pipeline T=pipeline_smtp defer.*451 4\.7\.1 later@example\.test takes this content later", log);
        var id = System.Text.RegularExpressions.Regex.Match(log, @"250 2\.0\.0 OK id=([^""\s]+)").Groups[1].Value;
        var delivered = Assert.Single(await fixture.DeliveredAsync(id, subject));
        Assert.Contains("X-Rcpt-Args: <taker@example.test>", delivered, StringComparison.Ordinal);
        Assert.DoesNotContain("refuser@example.test>", delivered.Split("\n\n")[0], StringComparison.Ordinal);
    }
}

/// <summary>DMARC at the end of data against the DMARC records NSD serves, and the Authentication-Results header.</summary>
public sealed class dmarc_at_data(RulesFixture fixture) : IClassFixture<RulesFixture>
{
    private Task<Swaks.Result> SendAsync(string from, string subject, params string[] headers) =>
        SendFromAsync("alice@pass.spf.test", from, subject, headers);

    private Task<Swaks.Result> SendFromAsync(string mailFrom, string from, string subject, params string[] headers) =>
        Swaks.SendAsync(fixture.Settings.SmtpPort, null, ["--from", mailFrom, "--to", "someone@example.test",
            "--header", $"From: {from}", "--header", $"Subject: {subject}", .. headers.SelectMany(h => new[] { "--add-header", h })]);

    [Fact]
    public async Task a_message_failing_a_reject_policy_is_refused_with_the_acls_message()
    {
        (await SendAsync("Boss <boss@reject.spf.test>", "dmarc-reject")).AssertRefusedWith("550 5.7.1 Message from reject.spf.test failed sender's DMARC policy, REJECT");
    }

    [Fact]
    public async Task relaxed_alignment_passes_a_subdomain_whose_organizational_domain_matches()
    {
        var subject = $"dmarc-relaxed-{Guid.NewGuid():N}";
        var swaks = await SendFromAsync("bounces@relaxed.other.test", "news@mail.other.test", subject);
        var delivered = Assert.Single(await fixture.DeliveredAsync(swaks.MessageId!, subject));
        Assert.Contains("dmarc=pass (p=quarantine dis=none) header.from=mail.other.test",
            delivered.Replace("\n\t", " ", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task mail_from_a_reject_domain_to_a_mailing_list_is_refused_and_other_mail_to_it_is_not()
    {
        Task<Swaks.Result> ToListAsync(string from, string subject) => Swaks.SendAsync(fixture.Settings.SmtpPort, null, "--from", "alice@pass.spf.test",
            "--to", "members@lists.example.test", "--header", $"From: {from}", "--header", $"Subject: {subject}");

        (await ToListAsync("alice@pass.spf.test", "to-list")).AssertRefusedWith("550 5.7.1 Messages from pass.spf.test break mailing lists");
        Assert.NotNull((await ToListAsync("n@nothing.spf.test", "to-list-no-policy")).MessageId);
    }

    [Theory]
    [InlineData("alice@pass.spf.test", "dmarc=pass (p=reject dis=none) header.from=pass.spf.test", null)]
    [InlineData("q@quarantine.spf.test", "dmarc=fail (p=quarantine dis=quarantine) header.from=quarantine.spf.test", "X-Quarantine: DMARC policy of quarantine.spf.test (quarantine)")]
    [InlineData("s@sampled.spf.test", "dmarc=fail (p=reject dis=quarantine) header.from=sampled.spf.test", null)]
    [InlineData("n@nothing.spf.test", "dmarc=none header.from=nothing.spf.test", null)]
    [InlineData("b@broken.spf.test", "dmarc=none header.from=broken.spf.test", null)]
    [InlineData("o@other.test", "dmarc=fail (p=none dis=none) header.from=other.test", null)]
    [InlineData("s@sub.other.test", "dmarc=fail (p=quarantine dis=quarantine) header.from=sub.other.test", "X-Quarantine: DMARC policy of other.test (quarantine)")]
    [InlineData("p@plain.test", "dmarc=none header.from=plain.test", null)]
    [InlineData("u@unknown.example", "dmarc=temperror header.from=unknown.example", null)]
    [InlineData("t@timeout.test", "dmarc=temperror header.from=timeout.test", null)]
    public async Task accepted_messages_carry_the_authentication_results(string from, string dmarc, string? header)
    {
        var subject = $"dmarc-{Guid.NewGuid():N}";
        var swaks = await SendAsync(from, subject, "Authentication-Results: mx.example.test; dmarc=pass header.from=forged.example");
        Assert.NotNull(swaks.MessageId);
        var delivered = Assert.Single(await fixture.DeliveredAsync(swaks.MessageId!, subject));
        var unfolded = delivered.Replace("\r\n\t", " ", StringComparison.Ordinal).Replace("\n\t", " ", StringComparison.Ordinal);
        Assert.Contains($"Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=alice@pass.spf.test; dkim=none; {dmarc}", unfolded, StringComparison.Ordinal);
        Assert.DoesNotContain("forged.example", delivered, StringComparison.Ordinal);
        if (header is not null)
            Assert.Contains(header, delivered, StringComparison.Ordinal);
    }
}

/// <summary>DKIM through the pipeline: a message signed by python3-dkim's dkimsign, as sent and with one body byte changed.</summary>
public sealed class dkim_at_data(RulesFixture fixture) : IClassFixture<RulesFixture>
{
    private async Task<string> SignAsync(string subject)
    {
        var message = $"From: Alice <alice@pass.spf.test>\r\nTo: someone@example.test\r\nSubject: {subject}\r\n" +
                      $"Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{subject}@pass.spf.test>\r\n\r\nSigned by dkimsign.\r\n";
        var (exitCode, signed) = await Command.RunAsync("dkimsign", ["--hcanon", "relaxed", "--bcanon", "simple", "sel", "pass.spf.test", fixture.DkimKey], message);
        Assert.Equal(0, exitCode);
        return signed;
    }

    private async Task<string> DeliveredAsync(string content, string subject)
    {
        var swaks = await Swaks.SendAsync(fixture.Settings.SmtpPort, content, "--from", "alice@pass.spf.test", "--to", "someone@example.test");
        Assert.NotNull(swaks.MessageId);
        var delivered = Assert.Single(await fixture.DeliveredAsync(swaks.MessageId!, subject));
        return delivered.Replace("\r\n\t", " ", StringComparison.Ordinal).Replace("\n\t", " ", StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_message_signed_by_a_real_signer_passes_and_one_changed_byte_fails_it()
    {
        var subject = $"dkim-{Guid.NewGuid():N}";
        var signed = await SignAsync(subject);
        Assert.Contains("dkim=pass header.d=pass.spf.test header.s=sel; dmarc=pass", await DeliveredAsync(signed, subject), StringComparison.Ordinal);

        var tamperedSubject = $"dkim-{Guid.NewGuid():N}";
        var tampered = (await SignAsync(tamperedSubject)).Replace("Signed by dkimsign.", "Signed by dkimsigN.", StringComparison.Ordinal);
        Assert.Contains("dkim=fail header.d=pass.spf.test header.s=sel", await DeliveredAsync(tampered, tamperedSubject), StringComparison.Ordinal);
    }

    [Fact]
    public async Task delivery_signs_what_it_sends_and_python3_dkim_verifies_it()
    {
        var subject = $"signed-{Guid.NewGuid():N}";
        var swaks = await Swaks.SendAsync(fixture.Settings.SmtpPort, null, "--from", "alice@pass.spf.test", "--to", "someone@example.test",
            "--header", "From: Alice <alice@pass.spf.test>", "--header", $"Subject: {subject}");
        var delivered = Assert.Single(await fixture.DeliveredAsync(swaks.MessageId!, subject));
        Assert.Contains("DKIM-Signature: v=1; a=rsa-sha256; d=pass.spf.test; s=sel; c=relaxed/relaxed;", delivered, StringComparison.Ordinal);

        // dkimpy's verifier, with the key record our DNS serves; the message with CRLF line ends, as it was sent.
        var folder = Path.GetDirectoryName(fixture.DkimKey)!;
        var message = Path.Combine(folder, $"{subject}.eml");
        await File.WriteAllTextAsync(message, delivered.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal));
        Assert.Equal("verified", await VerifyAsync(message));

        await File.WriteAllTextAsync(message, (await File.ReadAllTextAsync(message)).Replace("Subject: signed-", "Subject: Signed-", StringComparison.Ordinal));
        Assert.Equal("failed", await VerifyAsync(message));
    }

    // Debian's python3 (the one python3-dkim is installed for), not whatever python3 comes first on the PATH.
    private async Task<string> VerifyAsync(string message)
    {
        var (exitCode, output) = await Command.RunAsync("/usr/bin/python3", ["-c",
            "import dkim, sys; m = open(sys.argv[1], 'rb').read(); r = sys.argv[2].encode(); " +
            "print('verified' if dkim.verify(m, dnsfunc=lambda name, timeout=5: r) else 'failed')", message, fixture.DkimRecord], "");
        Assert.True(exitCode == 0, output);
        return output.Trim();
    }
}
