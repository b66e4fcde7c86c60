using System.IO.Compression;
using System.Text.Json;
using MimeKit;
using Pipeline.Delivery.TlsReports;

namespace Pipeline.Delivery.Tests.TlsReports;

/// <summary>The report mail of RFC 8460 §5.3, as <see cref="TlsReportMessage"/> makes it.</summary>
public class TlsReportMessageTests
{
    private static readonly DateTimeOffset Begin = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);

    private static readonly TlsReport Report = TlsReportTally.Build(
        [new TlsSessionCount("example.com", "no-policy-found", [], null, null, null, null, 4)],
        new TlsReporter("Example Org", "postmaster@mta.example.net", "mta.example.net"), Begin, Begin.AddDays(1))[0];

    private static MimeMessage Message() =>
        MimeMessage.Load(new MemoryStream(TlsReportMessage.Create(Report, "mta.example.net", "noreply-tlsrpt@mta.example.net",
            ["tlsrpt@example.com"], Begin.AddDays(1).AddMinutes(5))));

    [Fact]
    public void the_headers_name_the_domain_the_submitter_and_the_report()
    {
        var message = Message();
        Assert.Equal($"Report Domain: example.com Submitter: mta.example.net Report-ID: <{Report.ReportId}>", message.Subject);
        Assert.Equal("example.com", message.Headers["TLS-Report-Domain"]);
        Assert.Equal("mta.example.net", message.Headers["TLS-Report-Submitter"]);
        Assert.Equal("tlsrpt@example.com", ((MailboxAddress)message.To.Single()).Address);
        Assert.Equal("noreply-tlsrpt@mta.example.net", ((MailboxAddress)message.From.Single()).Address);
    }

    [Fact]
    public void the_body_is_a_tlsrpt_report_with_the_gzipped_json_attached()
    {
        var report = Assert.IsType<MultipartReport>(Message().Body);
        Assert.Equal("tlsrpt", report.ReportType);
        Assert.Equal("tlsrpt", report.ContentType.Parameters["report-type"]);
        var attachment = Assert.Single(report.OfType<MimePart>(), p => p.ContentType.MimeType == "application/tlsrpt+gzip");
        Assert.True(attachment.IsAttachment);
        Assert.Equal(ContentEncoding.Base64, attachment.ContentTransferEncoding);
        var name = attachment.FileName ?? "";
        Assert.Matches(@$"^mta\.example\.net!example\.com!{Begin.ToUnixTimeSeconds()}!{Begin.AddDays(1).ToUnixTimeSeconds() - 1}![0-9a-f]{{8}}\.json\.gz$", name);

        using var content = new MemoryStream();
        attachment.Content!.DecodeTo(content);
        content.Position = 0;
        using var gzip = new GZipStream(content, CompressionMode.Decompress);
        var json = JsonDocument.Parse(gzip).RootElement;
        Assert.Equal(Report.ReportId, json.GetProperty("report-id").GetString());
        Assert.Equal(4, json.GetProperty("policies")[0].GetProperty("summary").GetProperty("total-successful-session-count").GetInt64());
    }

    [Fact]
    public void the_file_name_is_the_same_for_the_same_report()
    {
        Assert.Equal(TlsReportMessage.FileName(Report, "mta.example.net"), TlsReportMessage.FileName(Report with { }, "mta.example.net"));
    }
}
