using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using MimeKit;
using Npgsql;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Exim with the test PKI's certificate (it names <c>mail.test</c>, <c>*.mail.test</c> and
/// 127.0.0.1) behind real DNS: <c>rpt.test</c>, unsigned, whose preferred MX
/// <c>mx.other.test</c> is not named by the certificate and whose second MX
/// <c>mx.mail.test</c> is; <c>dane.test</c>, signed, whose MX <c>bad.dane.test</c> has a TLSA
/// record that matches nothing; and <c>mail.test</c>, publishing an MTA-STS policy. Each
/// policy domain publishes a TLSRPT record (RFC 8460 §3).
/// </summary>
public sealed class TlsReportFixture : EximBehindSignedZones
{
    /// <summary>The https endpoint's port, written into <c>rpt.test</c>'s TLSRPT record before the zones are served.</summary>
    public int HttpsPort { get; } = FreePort.Next();

    protected override HashSet<string> Signed => ["dane.test"];

    protected override Dictionary<string, string[]> Zones(string tlsa, string spki, string anchor) => new()
    {
        ["rpt.test"] =
        [
            "@ IN MX 10 mx.other.test.", "@ IN MX 20 mx.mail.test.",
            $"_smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@rua.test,https://127.0.0.1:{HttpsPort}/v1/tlsrpt\"",
        ],
        ["other.test"] = ["mx IN A 127.0.0.1"],
        ["mail.test"] =
        [
            "mx IN A 127.0.0.1", "@ IN MX 10 mx.mail.test.",
            "_mta-sts IN TXT \"v=STSv1; id=20261207T1\"", "mta-sts IN A 127.0.0.1",
            "_smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:sts-reports@rua.test\"",
        ],
        ["dane.test"] =
        [
            "@ IN MX 10 bad.dane.test.", "bad IN A 127.0.0.1", $"{tlsa}.bad IN TLSA 3 1 1 {new string('0', 64)}",
            // For DANE the policy domain is the MX host, the TLSA base domain (RFC 8460 §3).
            "_smtp._tls.bad IN TXT \"v=TLSRPTv1; rua=mailto:dane-reports@rua.test\"",
        ],
    };
}

/// <summary>
/// SMTP TLS Reporting (RFC 8460) end to end: after a run with TLS sessions that succeed and
/// fail (a certificate that does not name the MX, a TLSA record that matches nothing, an MX an
/// MTA-STS policy does not name), the period's report for each policy domain is built from the
/// event store and sent once: by mail through the pipeline to the <c>mailto:</c> address of the
/// domain's TLSRPT record (an smtp-sink mailbox), and by POST to its <c>https:</c> address
/// (haproxy terminating TLS in front of an HTTP receiver); the test unzips each and checks
/// the counts and result types.
/// </summary>
public sealed class tls_reports(TlsReportFixture fixture) : IClassFixture<TlsReportFixture>
{
    // Short periods, so that a report leaves seconds after the run.
    private const string Period = "00:00:05";

    private sealed record Posted(string Path, string? ContentType, byte[] Body);

    private Dictionary<string, string> Options(SmtpSink mailbox, params (string Key, string Value)[] options)
    {
        var extra = PipelineSettings.Route("rua.test", mailbox.Port);
        extra["Dns:Servers:0"] = $"127.0.0.1:{fixture.Resolver.Port}";
        // MX hosts are reached on Delivery:Port: here Exim's.
        extra["Delivery:Port"] = fixture.Exim.Port.ToString(CultureInfo.InvariantCulture);
        extra["Delivery:TlsVerifyCertificates"] = fixture.Pki.CaCertificate;
        extra["Delivery:RetryRules"] = "F,1h,1m";
        extra["Delivery:TlsReports:Enabled"] = "true";
        extra["Delivery:TlsReports:Period"] = Period;
        extra["Delivery:TlsReports:Submitter"] = "mta.origin.test";
        extra["Delivery:TlsReports:OrganizationName"] = "Origin Test Org";
        extra["Delivery:TlsReports:ContactInfo"] = "tls-reports@origin.test";
        foreach (var (key, value) in options)
            extra[$"Delivery:{key}"] = value;
        return extra;
    }

    private static async Task<string> SendAsync(PipelineSettings settings, string sender, string recipient)
    {
        var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", sender, "--to", recipient);
        return swaks.MessageId ?? throw new InvalidOperationException(swaks.Transcript);
    }

    // The report mail to `to` the mailbox received: the message, and its report's JSON unzipped.
    private static (MimeMessage Message, JsonElement Report) ReportTo(IEnumerable<string> dumps, string to)
    {
        var message = dumps.Select(d => MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(d))))
            .Single(m => m.To.Mailboxes.Any(a => a.Address == to));
        var part = Assert.Single(message.BodyParts.OfType<MimePart>(), p => p.ContentType.MimeType == "application/tlsrpt+gzip");
        using var content = new MemoryStream();
        part.Content!.DecodeTo(content);
        return (message, Gunzip(content.ToArray()));
    }

    private static JsonElement Gunzip(byte[] gzipped)
    {
        using var gzip = new GZipStream(new MemoryStream(gzipped), CompressionMode.Decompress);
        return JsonDocument.Parse(gzip).RootElement.Clone();
    }

    private static async Task<IReadOnlyList<string>> WaitForReportsAsync(SmtpSink mailbox, int count) =>
        await mailbox.WaitForMessagesAsync(count, TimeSpan.FromSeconds(60));

    private static (long Successful, long Failed) Summary(JsonElement policy) =>
        (policy.GetProperty("summary").GetProperty("total-successful-session-count").GetInt64(),
            policy.GetProperty("summary").GetProperty("total-failure-session-count").GetInt64());

    // The claims of reports of `kind` about `key` (report_claims, one row per report made), from `since` on.
    private static async Task<long> ClaimsAsync(PipelineSettings settings, string kind, string key, DateTimeOffset since)
    {
        await using var connection = new NpgsqlConnection(TestEnvironment.Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"select count(*) from {settings.Schema}.report_claims where kind = $1 and key = $2 and period_start >= $3", connection)
        {
            Parameters = { new() { Value = kind }, new() { Value = key }, new() { Value = since.ToUniversalTime() } },
        };
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task a_periods_successes_and_failures_are_reported_once_by_mail_and_by_https()
    {
        await using var mailbox = await SmtpSink.StartAsync();
        var posted = new ConcurrentQueue<Posted>();
        var receiverPort = FreePort.Next();
        using var receiver = new HttpReceiver(receiverPort, async context =>
        {
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            posted.Enqueue(new Posted(context.Request.Url!.AbsolutePath, context.Request.ContentType, body.ToArray()));
            context.Response.StatusCode = 201;
        });
        await using var https = await TlsTerminator.StartAsync(receiverPort, fixture.Pki.Chain, fixture.Pki.Key, fixture.HttpsPort);

        var settings = new PipelineSettings();
        // TLS is required of both MX hosts of rpt.test: the first fails it, the second meets it.
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: Options(mailbox,
            ("HostsRequireTls:0", "mx.other.test"), ("HostsRequireTls:1", "mx.mail.test"), ("TlsVerifyHosts:0", "*"))));
        using var history = new HistoryClient(settings.HttpPort);

        var both = await SendAsync(settings, "tlsrpt-both@origin.test", "rcpt@rpt.test");
        Assert.Equal(["msg:received", "msg:host:defer", "msg:delivery", "msg:complete"],
            await history.WaitForEventAsync(both, "msg:complete", TimeSpan.FromSeconds(30)));
        var dane = await SendAsync(settings, "tlsrpt-dane@origin.test", "rcpt@dane.test");
        await history.WaitForEventAsync(dane, "msg:defer", TimeSpan.FromSeconds(30));

        // rpt.test: one session failed (the certificate does not name mx.other.test), one succeeded.
        var dumps = await WaitForReportsAsync(mailbox, 2);
        var (message, report) = ReportTo(dumps, "tlsrpt@rua.test");
        var id = report.GetProperty("report-id").GetString();
        Assert.Equal($"Report Domain: rpt.test Submitter: mta.origin.test Report-ID: <{id}>", message.Subject);
        Assert.Equal("rpt.test", message.Headers["TLS-Report-Domain"]);
        Assert.Equal("mta.origin.test", message.Headers["TLS-Report-Submitter"]);
        Assert.Equal("tlsrpt", Assert.IsType<MultipartReport>(message.Body).ReportType);
        Assert.Matches(@"^mta\.origin\.test!rpt\.test!\d+!\d+![0-9a-f]{8}\.json\.gz$",
            message.BodyParts.OfType<MimePart>().Single(p => p.IsAttachment).FileName ?? "");
        Assert.Equal("Origin Test Org", report.GetProperty("organization-name").GetString());
        Assert.Equal("tls-reports@origin.test", report.GetProperty("contact-info").GetString());
        var start = DateTimeOffset.Parse(report.GetProperty("date-range").GetProperty("start-datetime").GetString()!, CultureInfo.InvariantCulture);
        var end = DateTimeOffset.Parse(report.GetProperty("date-range").GetProperty("end-datetime").GetString()!, CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.Parse(Period, CultureInfo.InvariantCulture) - TimeSpan.FromSeconds(1), end - start);

        var policy = Assert.Single(report.GetProperty("policies").EnumerateArray());
        Assert.Equal("no-policy-found", policy.GetProperty("policy").GetProperty("policy-type").GetString());
        Assert.Equal("rpt.test", policy.GetProperty("policy").GetProperty("policy-domain").GetString());
        Assert.Equal((1L, 1L), Summary(policy));
        var failure = Assert.Single(policy.GetProperty("failure-details").EnumerateArray());
        Assert.Equal("certificate-host-mismatch", failure.GetProperty("result-type").GetString());
        Assert.Equal("mx.other.test", failure.GetProperty("receiving-mx-hostname").GetString());
        Assert.Equal("127.0.0.1", failure.GetProperty("receiving-ip").GetString());
        Assert.Equal("127.0.0.1", failure.GetProperty("sending-mta-ip").GetString());
        Assert.Equal(1, failure.GetProperty("failed-session-count").GetInt64());

        // The same report, posted over TLS (RFC 8460 §5.4).
        var deadline = Stopwatch.StartNew();
        while (posted.IsEmpty && deadline.Elapsed < TimeSpan.FromSeconds(30))
            await Task.Delay(100);
        var post = Assert.Single(posted);
        Assert.Equal("/v1/tlsrpt", post.Path);
        Assert.Equal("application/tlsrpt+gzip", post.ContentType);
        Assert.Equal(id, Gunzip(post.Body).GetProperty("report-id").GetString());
        Assert.Equal((1L, 1L), Summary(Gunzip(post.Body).GetProperty("policies")[0]));

        // bad.dane.test: the TLSA record matched nothing, a tlsa policy's validation failure.
        var (_, daneReport) = ReportTo(dumps, "dane-reports@rua.test");
        var danePolicy = Assert.Single(daneReport.GetProperty("policies").EnumerateArray());
        Assert.Equal("tlsa", danePolicy.GetProperty("policy").GetProperty("policy-type").GetString());
        Assert.Equal("bad.dane.test", danePolicy.GetProperty("policy").GetProperty("policy-domain").GetString());
        Assert.Equal([$"3 1 1 {new string('0', 64)}"], danePolicy.GetProperty("policy").GetProperty("policy-string").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(["bad.dane.test"], danePolicy.GetProperty("policy").GetProperty("mx-host").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal((0L, 1L), Summary(danePolicy));
        Assert.Equal("validation-failure", Assert.Single(danePolicy.GetProperty("failure-details").EnumerateArray()).GetProperty("result-type").GetString());

        // Once: the periods after the reports' were settled too (their claims are the marker),
        // and there is still one report of each domain, one post, one claim.
        var daneStart = DateTimeOffset.Parse(daneReport.GetProperty("date-range").GetProperty("start-datetime").GetString()!, CultureInfo.InvariantCulture);
        var later = (daneStart > start ? daneStart : start) + TimeSpan.Parse(Period, CultureInfo.InvariantCulture);
        while (await ClaimsAsync(settings, "tls-rpt-period", "*", later) == 0 && deadline.Elapsed < TimeSpan.FromSeconds(60))
            await Task.Delay(200);
        Assert.NotEqual(0, await ClaimsAsync(settings, "tls-rpt-period", "*", later));
        Assert.Equal(1, await ClaimsAsync(settings, "tls-rpt", "rpt.test", DateTimeOffset.UnixEpoch));
        Assert.Equal(2, mailbox.Messages.Count);
        Assert.Single(posted);
    }

    [Fact]
    public async Task an_mx_host_that_an_enforced_mta_sts_policy_does_not_name_is_reported_under_the_policy()
    {
        // mail.test's policy, served over https as https://mta-sts.mail.test/.well-known/mta-sts.txt.
        var folder = Directory.CreateTempSubdirectory("pipeline-tlsrpt-sts-").FullName;
        Directory.CreateDirectory(Path.Combine(folder, ".well-known"));
        await File.WriteAllTextAsync(Path.Combine(folder, ".well-known", "mta-sts.txt"),
            "version: STSv1\r\nmode: enforce\r\nmx: *.elsewhere.test\r\nmax_age: 86400\r\n");
        var port = FreePort.Next();
        await using var policyServer = await ServerProcess.StartAsync(new ProcessStartInfo("openssl",
            ["s_server", "-accept", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "-cert", fixture.Pki.Chain, "-key", fixture.Pki.Key,
                "-WWW", "-quiet"])
        {
            WorkingDirectory = folder,
        }, folder, port);
        await using var mailbox = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: Options(mailbox,
            ("MtaStsPort", port.ToString(CultureInfo.InvariantCulture)))));
        using var history = new HistoryClient(settings.HttpPort);

        var id = await SendAsync(settings, "tlsrpt-sts@origin.test", "rcpt@mail.test");
        Assert.Equal(["msg:received", "sts:fail", "msg:host:defer", "msg:defer"], await history.WaitForEventAsync(id, "msg:defer", TimeSpan.FromSeconds(30)));

        var (message, report) = ReportTo(await WaitForReportsAsync(mailbox, 1), "sts-reports@rua.test");
        Assert.Equal("mail.test", message.Headers["TLS-Report-Domain"]);
        var policy = Assert.Single(report.GetProperty("policies").EnumerateArray());
        var applied = policy.GetProperty("policy");
        Assert.Equal("sts", applied.GetProperty("policy-type").GetString());
        Assert.Equal("mail.test", applied.GetProperty("policy-domain").GetString());
        Assert.Equal(["version: STSv1", "mode: enforce", "mx: *.elsewhere.test", "max_age: 86400"],
            applied.GetProperty("policy-string").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(["*.elsewhere.test"], applied.GetProperty("mx-host").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal((0L, 1L), Summary(policy));
        var failure = Assert.Single(policy.GetProperty("failure-details").EnumerateArray());
        Assert.Equal("validation-failure", failure.GetProperty("result-type").GetString());
        Assert.Equal("mx.mail.test", failure.GetProperty("receiving-mx-hostname").GetString());
        Assert.Equal("127.0.0.1", failure.GetProperty("receiving-ip").GetString());
        // No connection was made to the host the policy does not name: no sending address.
        Assert.False(failure.TryGetProperty("sending-mta-ip", out _));
    }
}
