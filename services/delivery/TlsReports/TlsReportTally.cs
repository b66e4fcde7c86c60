using System.Globalization;
using Pipeline.Delivery.Tls;

namespace Pipeline.Delivery.TlsReports;

/// <summary>
/// Sessions of one kind in a period, as the event store counts them: successful ones
/// (<paramref name="ResultType"/> null) or failed ones of one result type with one server.
/// </summary>
/// <param name="PolicyDomain">The policy's domain (RFC 8460 §3).</param>
/// <param name="PolicyType"><c>tlsa</c>, <c>sts</c> or <c>no-policy-found</c>.</param>
/// <param name="PolicyStrings">The policy as applied, or empty.</param>
/// <param name="ResultType">Null for successful sessions, else the failure (RFC 8460 §4.3).</param>
/// <param name="SendingIp">For failures, the local address, when a connection was made.</param>
/// <param name="MxHost">For failures, the server's name.</param>
/// <param name="ReceivingIp">For failures, the server's address.</param>
/// <param name="Sessions">How many sessions.</param>
public sealed record TlsSessionCount(
    string PolicyDomain,
    string PolicyType,
    IReadOnlyList<string> PolicyStrings,
    string? ResultType,
    string? SendingIp,
    string? MxHost,
    string? ReceivingIp,
    long Sessions);

/// <summary>Who reports: the organization, its contact and the submitting MTA's name (RFC 8460 §4.4, §5.3).</summary>
/// <param name="OrganizationName"><c>organization-name</c>.</param>
/// <param name="ContactInfo"><c>contact-info</c>.</param>
/// <param name="Submitter">The submitting MTA's host name (<c>TLS-Report-Submitter</c>, the report file's first part).</param>
public sealed record TlsReporter(string OrganizationName, string ContactInfo, string Submitter);

/// <summary>
/// Turns a period's session counts into one report per policy domain (RFC 8460 §4.4): a policy
/// entry per distinct policy (type and strings) with its summary and its failures grouped by
/// result type and server. Pure, and ordered, so that the same counts give the same report.
/// </summary>
public static class TlsReportTally
{
    /// <summary>The reports for the period <paramref name="begin"/> (inclusive) to <paramref name="end"/> (exclusive), by domain.</summary>
    public static IReadOnlyList<TlsReport> Build(IEnumerable<TlsSessionCount> counts, TlsReporter reporter, DateTimeOffset begin, DateTimeOffset end)
    {
        var reports = new List<TlsReport>();
        foreach (var domain in counts.GroupBy(c => c.PolicyDomain, StringComparer.OrdinalIgnoreCase).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var policies = domain
                .GroupBy(c => (c.PolicyType, Strings: string.Join('\n', c.PolicyStrings)))
                .OrderBy(g => g.Key.PolicyType, StringComparer.Ordinal).ThenBy(g => g.Key.Strings, StringComparer.Ordinal)
                .Select(policy => Policy(domain.Key, policy.ToList()))
                .ToList();
            reports.Add(new TlsReport(reporter.OrganizationName, begin, end, reporter.ContactInfo, ReportId(domain.Key, reporter.Submitter, begin),
                domain.Key, policies));
        }

        return reports;
    }

    /// <summary>
    /// The report's identifier, the same whenever the report for this domain and period is
    /// built again (a retry after a crash sends the same report, not a second one).
    /// </summary>
    public static string ReportId(string domain, string submitter, DateTimeOffset begin) =>
        $"{begin.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}.{domain}@{submitter}";

    private static TlsReportPolicyResult Policy(string domain, List<TlsSessionCount> counts)
    {
        var first = counts[0];
        var failures = counts.Where(c => c.ResultType is not null)
            .GroupBy(c => (ResultType: c.ResultType!, c.SendingIp, c.MxHost, c.ReceivingIp))
            .Select(g => new TlsFailureDetail(g.Key.ResultType, g.Key.SendingIp, g.Key.MxHost, g.Key.ReceivingIp, g.Sum(c => c.Sessions)))
            .OrderBy(f => f.ResultType, StringComparer.Ordinal).ThenBy(f => f.ReceivingMxHostname, StringComparer.Ordinal)
            .ThenBy(f => f.ReceivingIp, StringComparer.Ordinal).ThenBy(f => f.SendingMtaIp, StringComparer.Ordinal)
            .ToList();
        // A TLSA policy's MX host is its domain, the TLSA base domain (RFC 8460 §3); an MTA-STS
        // policy's are its mx: patterns (RFC 8461 §3.2).
        IReadOnlyList<string> mxHosts = first.PolicyType switch
        {
            TlsRptNames.Tlsa => [domain],
            TlsRptNames.Sts => first.PolicyStrings.Select(l => l.Split(':', 2)).Where(f => f.Length == 2 && f[0].Trim() == "mx")
                .Select(f => f[1].Trim()).ToList(),
            _ => [],
        };
        return new TlsReportPolicyResult(first.PolicyType, first.PolicyStrings, domain, mxHosts,
            counts.Where(c => c.ResultType is null).Sum(c => c.Sessions), failures.Sum(f => f.FailedSessionCount), failures);
    }
}
