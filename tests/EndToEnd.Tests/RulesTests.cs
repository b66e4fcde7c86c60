using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// The pipeline with a rule file whose RCPT ACL is Exim's SPF example, and a real NSD serving
/// the SPF records of spf.test: pass.spf.test allows 127.0.0.1, fail.spf.test allows nobody,
/// soft.spf.test softfails everybody.
/// </summary>
public sealed class RulesFixture : PipelineFixture
{
    public DnsServer Dns { get; private set; } = null!;

    private readonly string _rules = Path.Combine(Directory.CreateTempSubdirectory("pipeline-rules-").FullName, "rules.conf");

    public override async Task InitializeAsync()
    {
        Dns = await DnsServer.StartAsync("spf.test",
            "pass IN TXT \"v=spf1 ip4:127.0.0.0/8 -all\"",
            "fail IN TXT \"v=spf1 ip4:192.0.2.1 -all\"",
            "soft IN TXT \"v=spf1 ~all\"",
            "include IN TXT \"v=spf1 include:pass.spf.test -all\"");
        await File.WriteAllTextAsync(_rules, """
            # The RCPT ACL of Exim's SPF section, in the pipeline's rule format.
            rcpt:
              deny    spf = fail
                      message = $sender_host_address is not allowed to send mail from $sender_address_domain
                      log_message = SPF check failed.
              defer   spf = temperror
                      message = Temporary DNS error while checking SPF record.  Try again later.
              warn    spf = softfail : neutral
                      set acl_m_spf_doubt = yes
              warn    add_header = $spf_received
              accept
            """);
        await base.InitializeAsync();
    }

    protected override Dictionary<string, string> Extra => new()
    {
        ["Policy:Rules"] = _rules,
        ["Policy:PrimaryHostname"] = "mx.example.test",
        ["Dns:Servers:0"] = $"127.0.0.1:{Dns.Port}",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Dns.DisposeAsync();
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
        var swaks = await SendAsync("alice@fail.spf.test", "spf-fail");
        Assert.Contains("<** 550 5.7.1 127.0.0.1 is not allowed to send mail from fail.spf.test", swaks.Transcript, StringComparison.Ordinal);
        Assert.Null(swaks.MessageId);
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
