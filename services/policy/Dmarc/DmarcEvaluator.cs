using Pipeline.Infrastructure.Dns;
using Pipeline.Policy.Spf;

namespace Pipeline.Policy.Dmarc;

/// <summary>A verified DKIM signature's outcome, as DMARC needs it.</summary>
/// <param name="Passed">True when the signature verified.</param>
/// <param name="Domain">Its <c>d=</c> domain.</param>
/// <param name="Selector">Its <c>s=</c> selector.</param>
public sealed record DkimSignatureResult(bool Passed, string Domain, string Selector);

/// <summary>The DMARC verdict for one message (RFC 7489 §6.6, results named as in RFC 8601).</summary>
/// <param name="Result">pass, fail, none, temperror or permerror.</param>
/// <param name="Disposition">none, quarantine or reject: what the policy asks, after pct sampling.</param>
/// <param name="SpfAligned">True when SPF passed for a domain aligned with the From domain.</param>
/// <param name="DkimAligned">True when a passing DKIM signature's domain is aligned with it.</param>
/// <param name="PolicyDomain">The domain whose record was used, or null.</param>
/// <param name="AppliedPolicy">The p= or sp= value that applied, before pct, or null.</param>
/// <param name="Record">The record used, or null.</param>
public sealed record DmarcOutcome(string Result, string Disposition, bool SpfAligned, bool DkimAligned, string? PolicyDomain,
    string? AppliedPolicy, DmarcRecord? Record);

/// <summary>
/// DMARC evaluation (RFC 7489 §6.6): the policy record of the From domain, or of its
/// Organizational Domain when the From domain has none; identifier alignment of SPF (the
/// MAIL FROM or HELO domain that SPF passed) and of every passing DKIM signature, relaxed
/// (same Organizational Domain) or strict (same name); then the policy, sampled by pct (a
/// message not sampled gets the next lower policy, §6.6.4).
/// </summary>
public sealed class DmarcEvaluator(IDnsResolver dns, PublicSuffixList suffixes, Func<int>? percentile = null)
{
    private readonly Func<int> _percentile = percentile ?? (() => Random.Shared.Next(100));

    /// <summary>Evaluates one message.</summary>
    /// <param name="fromDomain">The RFC5322.From domain.</param>
    /// <param name="spf">SPF's result, or null when there was none.</param>
    /// <param name="spfDomain">The domain SPF checked (MAIL FROM domain, or HELO for the null sender).</param>
    /// <param name="dkim">Every DKIM signature's outcome.</param>
    /// <param name="cancellationToken">Stops the lookups.</param>
    public async Task<DmarcOutcome> EvaluateAsync(string fromDomain, SpfResult? spf, string? spfDomain, IReadOnlyList<DkimSignatureResult> dkim,
        CancellationToken cancellationToken)
    {
        fromDomain = fromDomain.TrimEnd('.').ToLowerInvariant();
        var organization = suffixes.OrganizationalDomain(fromDomain) ?? fromDomain;

        var (status, record, policyDomain) = await FindRecordAsync(fromDomain, cancellationToken).ConfigureAwait(false);
        if (status == Lookup.NotFound && organization != fromDomain)
            (status, record, policyDomain) = await FindRecordAsync(organization, cancellationToken).ConfigureAwait(false);
        if (status == Lookup.TemporaryFailure)
            return new DmarcOutcome("temperror", "none", false, false, null, null, null);
        if (record is null)
            return new DmarcOutcome("none", "none", false, false, null, null, null);

        // Alignment, in the record's modes; without a record there is no DMARC processing at all.
        var spfAligned = spf == SpfResult.Pass && spfDomain is not null && Aligned(spfDomain, fromDomain, record.StrictSpf);
        var dkimAligned = dkim.Any(s => s.Passed && Aligned(s.Domain, fromDomain, record.StrictDkim));
        var policy = policyDomain == fromDomain ? record.Policy : record.SubdomainPolicy;
        if (spfAligned || dkimAligned)
            return new DmarcOutcome("pass", "none", spfAligned, dkimAligned, policyDomain, policy, record);

        var disposition = record.Percent >= 100 || _percentile() < record.Percent
            ? policy
            : policy switch { "reject" => "quarantine", _ => "none" };
        return new DmarcOutcome("fail", disposition, false, false, policyDomain, policy, record);
    }

    private enum Lookup { Found, NotFound, TemporaryFailure }

    // §6.6.3: the TXT records at _dmarc.domain that start with v=DMARC1; exactly one is used.
    private async Task<(Lookup Status, DmarcRecord? Record, string? Domain)> FindRecordAsync(string domain, CancellationToken ct)
    {
        var answer = await dns.GetTxtAsync($"_dmarc.{domain}", ct).ConfigureAwait(false);
        if (answer.Status == DnsStatus.TemporaryFailure)
            return (Lookup.TemporaryFailure, null, null);
        var records = answer.Records.Where(DmarcRecord.IsDmarc).ToList();
        if (records.Count == 0)
            return (Lookup.NotFound, null, null);
        if (records.Count > 1)
            return (Lookup.Found, null, null);
        return (Lookup.Found, DmarcRecord.Parse(records[0], out _), domain);
    }

    /// <summary>The Public Suffix List the evaluator finds Organizational Domains with.</summary>
    public PublicSuffixList Suffixes => suffixes;

    /// <summary>True when <paramref name="domain"/> is aligned with <paramref name="fromDomain"/>: the same name (strict) or the same Organizational Domain (relaxed).</summary>
    public bool Aligned(string domain, string fromDomain, bool strict)
    {
        domain = domain.TrimEnd('.').ToLowerInvariant();
        if (strict)
            return domain == fromDomain;
        var organization = suffixes.OrganizationalDomain(domain);
        return organization is not null && organization == suffixes.OrganizationalDomain(fromDomain);
    }
}
