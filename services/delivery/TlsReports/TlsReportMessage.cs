using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Pipeline.Infrastructure.Reports;

namespace Pipeline.Delivery.TlsReports;

/// <summary>
/// A TLS report as mail (RFC 8460 §5.3): <c>multipart/report; report-type="tlsrpt"</c> with a
/// line of text and the gzipped JSON as an <c>application/tlsrpt+gzip</c> attachment named
/// <c>submitter!policy-domain!begin!end!unique.json.gz</c> (Unix times), the
/// <c>TLS-Report-Domain</c> and <c>TLS-Report-Submitter</c> headers, and the subject
/// <c>Report Domain: … Submitter: … Report-ID: &lt;…&gt;</c>, composed by <see cref="ReportMail"/>. Pure.
/// </summary>
public static class TlsReportMessage
{
    /// <summary>The MIME type of a gzipped report, as mail attachment and as https body (§5.3, §5.4).</summary>
    public const string GzipMediaType = "application/tlsrpt+gzip";

    /// <summary>The attachment's file name (§5.1): <c>submitter!policy-domain!begin!end!unique.json.gz</c>.</summary>
    public static string FileName(TlsReport report, string submitter)
    {
        // The unique part tells reports of one domain and period apart; it is derived from the
        // report's identifier, so that the same report always has the same name.
        var unique = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(report.ReportId)))[..8];
        return string.Create(CultureInfo.InvariantCulture,
            $"{submitter}!{report.PolicyDomain}!{report.Begin.ToUnixTimeSeconds()}!{report.End.AddSeconds(-1).ToUnixTimeSeconds()}!{unique}.json.gz");
    }

    /// <summary>The subject §5.3 gives a report: <c>Report Domain: example.com Submitter: mail.example.net Report-ID: &lt;id&gt;</c>.</summary>
    public static string Subject(TlsReport report, string submitter) =>
        $"Report Domain: {report.PolicyDomain} Submitter: {submitter} Report-ID: <{report.ReportId}>";

    /// <summary>The report mail's bytes, with CRLF line ends.</summary>
    /// <param name="report">The report.</param>
    /// <param name="submitter">The submitting MTA's host name (<c>TLS-Report-Submitter</c>).</param>
    /// <param name="from">The address the report comes from.</param>
    /// <param name="to">The <c>mailto:</c> addresses of the domain's <c>rua</c>.</param>
    /// <param name="now">The time of the mail.</param>
    public static byte[] Create(TlsReport report, string submitter, string from, IReadOnlyList<string> to, DateTimeOffset now) =>
        ReportMail.Compose(from, to, Subject(report, submitter),
            $"This is an aggregate TLS report from {submitter} for {report.PolicyDomain}, " +
            $"{report.Begin.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)} to {report.End.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)}.\n",
            new ReportAttachment(FileName(report, submitter), GzipMediaType, TlsReportJson.WriteGzip(report)), now,
            [new("TLS-Report-Domain", report.PolicyDomain), new("TLS-Report-Submitter", submitter)], "report", "tlsrpt");
}
