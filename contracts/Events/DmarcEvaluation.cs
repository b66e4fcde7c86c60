namespace Pipeline.Contracts.Events;

/// <summary>
/// The DMARC evaluation of one received message (RFC 7489 §6.6), kept in its
/// <c>msg:received</c> so that aggregate reports (§7.2) and failure reports (§7.3) can be made
/// from the history. Present only when a DMARC record applied (the result is pass or fail).
/// </summary>
/// <param name="HeaderFrom">The RFC5322.From domain.</param>
/// <param name="PolicyDomain">The domain whose record applied: the From domain or its Organizational Domain.</param>
/// <param name="OrganizationalDomain">The policy domain's Organizational Domain (§3.2).</param>
/// <param name="Policy">The record's <c>p=</c>.</param>
/// <param name="SubdomainPolicy">The record's <c>sp=</c> (p= when absent).</param>
/// <param name="Percent">The record's <c>pct=</c>.</param>
/// <param name="StrictDkim">True for <c>adkim=s</c>.</param>
/// <param name="StrictSpf">True for <c>aspf=s</c>.</param>
/// <param name="AppliedPolicy">The p= or sp= value that applied, before pct sampling.</param>
/// <param name="Disposition">What the policy asked after sampling: <c>none</c>, <c>quarantine</c> or <c>reject</c>.</param>
/// <param name="Result">The policy result: <c>pass</c> or <c>fail</c>.</param>
/// <param name="Dkim">Every DKIM signature's result, with its alignment.</param>
/// <param name="Spf">SPF's result, with its alignment.</param>
/// <param name="Rua">The record's <c>rua=</c> URIs, each with its §7.1 status.</param>
/// <param name="Ruf">The record's <c>ruf=</c> URIs, each with its §7.1 status.</param>
/// <param name="FailureOptions">The record's <c>fo=</c>, e.g. <c>0</c> or <c>1:d</c>.</param>
/// <param name="ReportInterval">The record's <c>ri=</c>, in seconds.</param>
/// <param name="ForensicEnabled">True when the rules enabled failure reports for this message (<c>control = dmarc_enable_forensic</c>).</param>
public sealed record DmarcEvaluation(
    string HeaderFrom,
    string PolicyDomain,
    string OrganizationalDomain,
    string Policy,
    string SubdomainPolicy,
    int Percent,
    bool StrictDkim,
    bool StrictSpf,
    string AppliedPolicy,
    string Disposition,
    string Result,
    IReadOnlyList<DmarcDkimResult> Dkim,
    DmarcSpfResult Spf,
    IReadOnlyList<DmarcReportUri> Rua,
    IReadOnlyList<DmarcReportUri> Ruf,
    string FailureOptions,
    long ReportInterval,
    bool ForensicEnabled);

/// <summary>One DKIM signature's result as DMARC saw it.</summary>
/// <param name="Domain">Its <c>d=</c>.</param>
/// <param name="Selector">Its <c>s=</c>.</param>
/// <param name="Result">pass, fail, neutral, temperror or permerror (RFC 8601).</param>
/// <param name="Aligned">True when it passed for a domain aligned with the From domain.</param>
public sealed record DmarcDkimResult(string Domain, string Selector, string Result, bool Aligned);

/// <summary>SPF's result as DMARC saw it.</summary>
/// <param name="Domain">The domain SPF checked.</param>
/// <param name="Scope"><c>mfrom</c> (the MAIL FROM domain) or <c>helo</c> (the null sender's HELO name).</param>
/// <param name="Result">none, neutral, pass, fail, softfail, temperror or permerror.</param>
/// <param name="Aligned">True when it passed for a domain aligned with the From domain.</param>
public sealed record DmarcSpfResult(string Domain, string Scope, string Result, bool Aligned);

/// <summary>A reporting URI of a DMARC record (RFC 7489 §6.2).</summary>
/// <param name="Uri">The URI as the record gives it, size limit included (<c>mailto:d@example.com!10m</c>).</param>
/// <param name="External">
/// True when the URI's host is in another Organizational Domain than the policy domain: reports
/// go there only once that domain has agreed (§7.1).
/// </param>
public sealed record DmarcReportUri(string Uri, bool External);
