using System.Globalization;
using System.IO.Compression;
using System.Text.Json;

namespace Pipeline.Delivery.TlsReports;

/// <summary>
/// Writes a <see cref="TlsReport"/> as RFC 8460 §4.4's JSON, fields in the RFC's order, and
/// gzips it (§5.3: <c>application/tlsrpt+gzip</c>). Dates are RFC 3339 in UTC (§4.4,
/// <c>date-range</c>). <c>mx-host</c> is an array of strings, as the RFC's errata 6241 and the
/// large receivers have it; it is left out when the policy names no MX host
/// (<c>no-policy-found</c>). A failure detail leaves out the addresses it does not know. Pure.
/// </summary>
public static class TlsReportJson
{
    /// <summary>The report's JSON, UTF-8.</summary>
    public static byte[] Write(TlsReport report)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            json.WriteStartObject();
            json.WriteString("organization-name", report.OrganizationName);
            json.WriteStartObject("date-range");
            json.WriteString("start-datetime", Rfc3339(report.Begin));
            json.WriteString("end-datetime", Rfc3339(report.End.AddSeconds(-1)));
            json.WriteEndObject();
            json.WriteString("contact-info", report.ContactInfo);
            json.WriteString("report-id", report.ReportId);
            json.WriteStartArray("policies");
            foreach (var policy in report.Policies)
                WritePolicy(json, policy);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The report's JSON, gzipped: the body of an https report and of the mail's attachment.</summary>
    public static byte[] WriteGzip(TlsReport report)
    {
        var json = Write(report);
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(json);
        return buffer.ToArray();
    }

    private static void WritePolicy(Utf8JsonWriter json, TlsReportPolicyResult policy)
    {
        json.WriteStartObject();
        json.WriteStartObject("policy");
        json.WriteString("policy-type", policy.PolicyType);
        json.WriteStartArray("policy-string");
        foreach (var line in policy.PolicyStrings)
            json.WriteStringValue(line);
        json.WriteEndArray();
        json.WriteString("policy-domain", policy.PolicyDomain);
        if (policy.MxHosts.Count > 0)
        {
            json.WriteStartArray("mx-host");
            foreach (var host in policy.MxHosts)
                json.WriteStringValue(host);
            json.WriteEndArray();
        }

        json.WriteEndObject();
        json.WriteStartObject("summary");
        json.WriteNumber("total-successful-session-count", policy.SuccessfulSessions);
        json.WriteNumber("total-failure-session-count", policy.FailedSessions);
        json.WriteEndObject();
        json.WriteStartArray("failure-details");
        foreach (var failure in policy.FailureDetails)
        {
            json.WriteStartObject();
            json.WriteString("result-type", failure.ResultType);
            if (failure.SendingMtaIp is not null)
                json.WriteString("sending-mta-ip", failure.SendingMtaIp);
            if (failure.ReceivingMxHostname is not null)
                json.WriteString("receiving-mx-hostname", failure.ReceivingMxHostname);
            if (failure.ReceivingIp is not null)
                json.WriteString("receiving-ip", failure.ReceivingIp);
            json.WriteNumber("failed-session-count", failure.FailedSessionCount);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static string Rfc3339(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
