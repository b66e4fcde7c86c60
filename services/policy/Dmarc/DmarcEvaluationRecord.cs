using Pipeline.Contracts.Events;
using Pipeline.Policy.Spf;

namespace Pipeline.Policy.Dmarc;

/// <summary>
/// Turns a message's authentication into the <see cref="DmarcEvaluation"/> that ingress stores
/// in its <c>msg:received</c>: everything the reports of RFC 7489 §7 need, decided here, where
/// the Public Suffix List is, so that the role making the reports needs none.
/// </summary>
public static class DmarcEvaluationRecord
{
    /// <summary>
    /// The evaluation, or null when DMARC did not apply (no single From, no record, a temporary
    /// error, or turned off): such messages are in no report.
    /// </summary>
    /// <param name="authentication">SPF, DKIM and DMARC of the message.</param>
    /// <param name="sender">The envelope sender; empty for the null sender, whose SPF identity is the HELO name.</param>
    /// <param name="evaluator">The evaluator, for alignment and Organizational Domains.</param>
    /// <param name="forensicEnabled">True when the rules said <c>control = dmarc_enable_forensic</c>.</param>
    public static DmarcEvaluation? Of(MessageAuthentication authentication, string? sender, DmarcEvaluator evaluator, bool forensicEnabled)
    {
        if (authentication is not { FromDomain: { } from, Dmarc: { Record: { } record, PolicyDomain: { } policyDomain } outcome }
            || outcome.Result is not ("pass" or "fail"))
            return null;

        var spfDomain = authentication.SpfIdentity[(authentication.SpfIdentity.LastIndexOf('@') + 1)..].TrimEnd('.').ToLowerInvariant();
        var spf = new DmarcSpfResult(spfDomain, string.IsNullOrEmpty(sender) ? "helo" : "mfrom", authentication.Spf.Name(), outcome.SpfAligned);
        var dkim = authentication.Dkim
            .Select(d => new DmarcDkimResult(d.Domain, d.Selector, d.Result, d.Passed && evaluator.Aligned(d.Domain, from, record.StrictDkim)))
            .ToList();
        var organization = evaluator.Suffixes.OrganizationalDomain(policyDomain) ?? policyDomain;
        return new DmarcEvaluation(from, policyDomain, organization, record.Policy, record.SubdomainPolicy, record.Percent, record.StrictDkim,
            record.StrictSpf, outcome.AppliedPolicy ?? record.Policy, outcome.Disposition, outcome.Result, dkim, spf,
            Uris(record.AggregateReports, organization, evaluator.Suffixes), Uris(record.FailureReports, organization, evaluator.Suffixes),
            record.FailureOptions, record.ReportInterval, forensicEnabled);
    }

    // §7.1: a mailto: URI whose host is in another Organizational Domain is external; any other
    // scheme (which the pipeline does not send to) counts as external too.
    private static List<DmarcReportUri> Uris(IReadOnlyList<string> uris, string organization, PublicSuffixList suffixes) =>
        uris.Select(uri =>
        {
            var address = uri.Split('!')[0];
            var host = address.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) && address.LastIndexOf('@') is var at and > 0
                ? Uri.UnescapeDataString(address[(at + 1)..]).TrimEnd('.').ToLowerInvariant()
                : null;
            return new DmarcReportUri(uri, host is null || (suffixes.OrganizationalDomain(host) ?? host) != organization);
        }).ToList();
}
