namespace Pipeline.Delivery.TlsReports;

/// <summary>
/// One SMTP TLS report (RFC 8460 §4.4): what this MTA saw of one policy domain's TLS over one
/// period, by policy, each with its count of successful and failed sessions and the failures in
/// detail. <see cref="TlsReportJson"/> writes it as the RFC's JSON.
/// </summary>
/// <param name="OrganizationName">The reporting organization (<c>organization-name</c>).</param>
/// <param name="Begin">The start of the period (<c>start-datetime</c>).</param>
/// <param name="End">The end of the period, exclusive; the JSON shows the last second in it (<c>end-datetime</c>), as the RFC's example does.</param>
/// <param name="ContactInfo">Whom to ask about the report (<c>contact-info</c>): an address or a URL.</param>
/// <param name="ReportId">The report's unique identifier (<c>report-id</c>).</param>
/// <param name="PolicyDomain">The domain the report is about, and sent to.</param>
/// <param name="Policies">The policies applied, each with its counts (<c>policies</c>).</param>
public sealed record TlsReport(
    string OrganizationName,
    DateTimeOffset Begin,
    DateTimeOffset End,
    string ContactInfo,
    string ReportId,
    string PolicyDomain,
    IReadOnlyList<TlsReportPolicyResult> Policies)
{
    /// <summary>The sessions that succeeded, under every policy.</summary>
    public long SuccessfulSessions => Policies.Sum(p => p.SuccessfulSessions);

    /// <summary>The sessions that failed, under every policy.</summary>
    public long FailedSessions => Policies.Sum(p => p.FailedSessions);
}

/// <summary>One policy of a report (<c>policies[]</c>): the policy, its summary and its failure details.</summary>
/// <param name="PolicyType"><c>tlsa</c>, <c>sts</c> or <c>no-policy-found</c> (<c>policy-type</c>).</param>
/// <param name="PolicyStrings">The policy as applied (<c>policy-string</c>): TLSA records, or the MTA-STS policy's lines; empty for <c>no-policy-found</c>.</param>
/// <param name="PolicyDomain">The policy's domain (<c>policy-domain</c>).</param>
/// <param name="MxHosts">The MX hosts the policy names (<c>mx-host</c>): the MTA-STS policy's <c>mx</c> patterns, or the TLSA base domain; empty to leave it out.</param>
/// <param name="SuccessfulSessions">Sessions that negotiated TLS as the policy requires (<c>total-successful-session-count</c>).</param>
/// <param name="FailedSessions">Sessions that failed (<c>total-failure-session-count</c>).</param>
/// <param name="FailureDetails">The failures, grouped by result type and the hosts involved (<c>failure-details</c>).</param>
public sealed record TlsReportPolicyResult(
    string PolicyType,
    IReadOnlyList<string> PolicyStrings,
    string PolicyDomain,
    IReadOnlyList<string> MxHosts,
    long SuccessfulSessions,
    long FailedSessions,
    IReadOnlyList<TlsFailureDetail> FailureDetails);

/// <summary>Failed sessions of one kind with one server (<c>failure-details[]</c>).</summary>
/// <param name="ResultType">The failure (<c>result-type</c>), RFC 8460 §4.3.</param>
/// <param name="SendingMtaIp">The local address the sessions came from (<c>sending-mta-ip</c>), or null when none was made (a policy failure before connecting).</param>
/// <param name="ReceivingMxHostname">The server's host name (<c>receiving-mx-hostname</c>).</param>
/// <param name="ReceivingIp">The server's address (<c>receiving-ip</c>).</param>
/// <param name="FailedSessionCount">How many sessions failed so (<c>failed-session-count</c>).</param>
public sealed record TlsFailureDetail(string ResultType, string? SendingMtaIp, string? ReceivingMxHostname, string? ReceivingIp, long FailedSessionCount);
