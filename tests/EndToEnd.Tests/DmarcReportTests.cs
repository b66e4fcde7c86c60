using System.IO.Compression;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using MimeKit;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// The pipeline as a DMARC report sender: NSD behind Unbound serves good.report.test's record
/// (p=none, fo=1, three rua destinations: one internal, one external that agrees in DNS, one with
/// a 1-byte size limit, and one external that does not agree) and its SPF; the data ACL enables
/// failure reports (<c>control = dmarc_enable_forensic</c>); every report goes to smtp-sink.
/// </summary>
public sealed class DmarcReportFixture : PipelineFixture
{
    public DnsServer Dns { get; private set; } = null!;

    public Resolver Resolver { get; private set; } = null!;

    private readonly string _rules = Path.Combine(Directory.CreateTempSubdirectory("pipeline-dmarc-").FullName, "rules.conf");

    public override async Task InitializeAsync()
    {
        Dns = await DnsServer.StartAsync(new Dictionary<string, string[]>
        {
            ["report.test"] =
            [
                "good IN TXT \"v=spf1 ip4:127.0.0.0/8 -all\"",
                "_dmarc.good IN TXT \"v=DMARC1; p=none; fo=1; rua=mailto:rua@report.test,mailto:rua@reports.other.test," +
                "mailto:tiny@report.test!1,mailto:rua@silent.other.test; ruf=mailto:ruf@report.test\"",
            ],
            ["other.test"] =
            [
                "good.report.test._report._dmarc.reports IN TXT \"v=DMARC1\"",
            ],
        });
        Resolver = await Resolver.StartAsync(Dns, ["report.test", "other.test"]);
        await File.WriteAllTextAsync(_rules, """
            data:
              warn    control = dmarc_enable_forensic
              accept
            """);
        try
        {
            await base.InitializeAsync();
        }
        catch
        {
            await Resolver.DisposeAsync();
            await Dns.DisposeAsync();
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
        ["Policy:AuthenticationResults"] = "true",
        ["Events:DmarcReports:Enabled"] = "true",
        ["Events:DmarcReports:OrgName"] = "Example Test Mail",
        ["Events:DmarcReports:Email"] = "dmarc-reports@mx.example.test",
        ["Events:DmarcReports:ForensicSender"] = "dmarc-failures@mx.example.test",
        ["Events:DmarcReports:FailureReportsPerHour"] = "100",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Resolver.DisposeAsync();
        await Dns.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_rules)!, recursive: true);
    }
}

/// <summary>Aggregate and failure DMARC reports, made from the history and delivered through the pipeline to smtp-sink.</summary>
public sealed class dmarc_reports(DmarcReportFixture fixture) : IClassFixture<DmarcReportFixture>
{
    private async Task<string> SendAsync(string mailFrom, string subject)
    {
        var swaks = await Swaks.SendAsync(fixture.Settings.SmtpPort, null, "--from", mailFrom, "--to", "someone@example.test",
            "--header", "From: Alice <alice@good.report.test>", "--header", $"Subject: {subject}");
        Assert.NotNull(swaks.MessageId);
        await fixture.History.WaitForEventAsync(swaks.MessageId!, "msg:complete", TimeSpan.FromSeconds(30));
        return swaks.MessageId!;
    }

    private async Task<IReadOnlyList<MimeMessage>> WaitForSinkAsync(Func<MimeMessage, bool> wanted, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var found = fixture.Sink.RawMessages.Select(m => MimeMessage.Load(new MemoryStream(m))).Where(wanted).ToList();
            if (found.Count >= count || DateTime.UtcNow > deadline)
                return found;
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task passing_and_failing_mail_is_reported_once_to_the_rua_addresses_and_the_failure_to_ruf()
    {
        var begin = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds();
        var tag = Guid.NewGuid().ToString("N");
        await SendAsync("alice@good.report.test", $"pass-1-{tag}");
        await SendAsync("alice@good.report.test", $"pass-2-{tag}");
        var failing = await SendAsync("bounce@elsewhere.test", $"fail-{tag}");
        var end = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds();

        // Printed without sending, as pipelinectl dmarc report shows it.
        var shown = await fixture.History.GetJsonAsync($"/dmarc/aggregate?domain=good.report.test&begin={begin}&end={end}");
        Assert.True(shown is not null, string.Join("\n----\n", fixture.Sink.Messages.Where(m => m.Contains(tag, StringComparison.Ordinal))));
        Assert.Equal(3, shown!.Value.GetProperty("messages").GetInt32());

        // Two runs at once: one report.
        var path = $"/dmarc/aggregate?domain=good.report.test&begin={begin}&end={end}";
        var runs = await Task.WhenAll(fixture.History.PostJsonAsync(path), fixture.History.PostJsonAsync(path));
        Assert.All(runs, r => Assert.Equal(System.Net.HttpStatusCode.OK, r.Status));
        var sent = Assert.Single(runs, r => r.Body.GetProperty("messageId").ValueKind == JsonValueKind.String).Body;
        Assert.Single(runs, r => r.Body.GetProperty("alreadySent").GetBoolean());
        Assert.Equal(["rua@report.test", "rua@reports.other.test"], sent.GetProperty("destinations").EnumerateArray().Select(d => d.GetString()));
        await fixture.History.WaitForEventAsync(sent.GetProperty("messageId").GetString()!, "msg:complete", TimeSpan.FromSeconds(30));
        var again = await fixture.History.PostJsonAsync(path);
        Assert.True(again.Body.GetProperty("alreadySent").GetBoolean());

        var reports = await WaitForSinkAsync(m => m.Subject?.StartsWith("Report Domain: good.report.test Submitter: mx.example.test", StringComparison.Ordinal) == true, 1);
        var report = Assert.Single(reports);
        Assert.Equal($"Report Domain: good.report.test Submitter: mx.example.test Report-ID: <{sent.GetProperty("reportId").GetString()}>", report.Subject);
        var attachment = Assert.Single(report.Attachments.OfType<MimePart>());
        Assert.Equal("application/gzip", attachment.ContentType.MimeType);
        Assert.Equal($"mx.example.test!good.report.test!{begin}!{end}!{sent.GetProperty("reportId").GetString()}.xml.gz", attachment.FileName);
        using var content = new MemoryStream();
        await attachment.Content!.DecodeToAsync(content);
        content.Position = 0;
        using var gzip = new GZipStream(content, CompressionMode.Decompress);
        var xml = await new StreamReader(gzip).ReadToEndAsync();

        var errors = new List<string>();
        var settings = new XmlReaderSettings { ValidationType = ValidationType.Schema };
        settings.Schemas.Add("http://dmarc.org/dmarc-xml/0.1", Path.Combine(AppContext.BaseDirectory, "testdata", "dmarc", "rua-schema.fixed.xsd"));
        settings.ValidationEventHandler += (_, e) => errors.Add(e.Message);
        using (var reader = XmlReader.Create(new StringReader(xml), settings))
        {
            while (reader.Read())
            {
            }
        }

        Assert.Empty(errors);
        var records = XDocument.Parse(xml).Root!.Elements("record").ToList();
        Assert.Equal(3, records.Sum(r => int.Parse(r.Element("row")!.Element("count")!.Value, System.Globalization.CultureInfo.InvariantCulture)));
        var passed = Assert.Single(records, r => r.Element("row")!.Element("policy_evaluated")!.Element("spf")!.Value == "pass");
        Assert.Equal("2", passed.Element("row")!.Element("count")!.Value);
        Assert.Equal("127.0.0.1", passed.Element("row")!.Element("source_ip")!.Value);
        var failed = Assert.Single(records, r => r.Element("row")!.Element("policy_evaluated")!.Element("spf")!.Value == "fail");
        Assert.Equal("1", failed.Element("row")!.Element("count")!.Value);
        Assert.Equal("elsewhere.test", failed.Element("identifiers")!.Element("envelope_from")!.Value);

        // fo=1: the failing message has a failure report at ruf, in ARF.
        var failures = await WaitForSinkAsync(m => m.Subject == $"DMARC failure report for good.report.test (message {failing})", 1);
        var arf = Assert.Single(failures);
        Assert.Equal("dmarc-failures@mx.example.test", arf.From.Mailboxes.Single().Address);
        Assert.Equal("ruf@report.test", arf.To.Mailboxes.Single().Address);
        var body = Assert.IsType<MultipartReport>(arf.Body);
        Assert.Equal("feedback-report", body.ReportType);
        var feedback = arf.ToString();
        Assert.Contains("Feedback-Type: auth-failure", feedback, StringComparison.Ordinal);
        Assert.Contains("Auth-Failure: dmarc", feedback, StringComparison.Ordinal);
        Assert.Contains($"Subject: fail-{tag}", feedback, StringComparison.Ordinal);
    }
}
