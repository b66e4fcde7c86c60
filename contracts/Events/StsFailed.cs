namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>sts:fail</c>: MTA-STS (RFC 8461) found a recipient domain's policy, or a server under it,
/// wanting: the policy could not be discovered (fetched, parsed, its web server's certificate
/// verified), and delivery goes on as without one; or, in mode <c>enforce</c>, an MX host the
/// policy does not name is not used (the host is deferred, <c>msg:host:defer</c>); or, in mode
/// <c>testing</c>, a session that does not meet the policy (host not named, no STARTTLS, a
/// certificate that does not verify or name the host) carries the mail all the same. A TLS
/// failure under <c>enforce</c> is a <c>tls:fail:connect</c> instead. One per failed session or
/// discovery, as TLS reports (RFC 8460) count them. Stream: the message.
/// </summary>
/// <param name="MessageId">The message.</param>
/// <param name="EventData">What failed, in words.</param>
/// <param name="PolicyDomain">The recipient domain whose policy it is.</param>
/// <param name="Mode">The policy's mode, <c>enforce</c> or <c>testing</c>; null when discovery failed and no policy is in force.</param>
/// <param name="Host">The server's name; null for a failed discovery.</param>
/// <param name="HostAddress">The server's address; null for a failed discovery.</param>
/// <param name="HostPort">The server's port; 0 for a failed discovery.</param>
/// <param name="Attempt">The delivery attempt, counting from 1.</param>
/// <param name="ConnectionId">The connection of a <c>testing</c> session that carried the mail; null otherwise.</param>
/// <param name="TlsResultType">
/// The failure as TLS reports name it (RFC 8460 §4.3): <c>sts-policy-fetch-error</c>,
/// <c>sts-policy-invalid</c>, <c>sts-webpki-invalid</c>, <c>validation-failure</c> (an MX host
/// the policy does not name), <c>starttls-not-supported</c>, <c>certificate-host-mismatch</c>,
/// <c>certificate-expired</c> or <c>certificate-not-trusted</c>.
/// </param>
/// <param name="TlsPolicyType">Always <c>sts</c>.</param>
/// <param name="TlsPolicyDomains">The policy's domain, as a list like the other events' (RFC 8460 §3).</param>
/// <param name="TlsPolicyStrings">The policy's lines as fetched (<c>policy-string</c>); null for a failed discovery.</param>
/// <param name="SendingIpAddress">The local address of the <c>testing</c> session's connection (<c>sending-mta-ip</c>), or null.</param>
[LifecycleEvent("sts:fail")]
public sealed record StsFailed(
    string MessageId,
    string EventData,
    string PolicyDomain,
    string? Mode,
    string? Host,
    string? HostAddress,
    int HostPort,
    int Attempt,
    string? ConnectionId = null,
    string? TlsResultType = null,
    string? TlsPolicyType = null,
    IReadOnlyList<string>? TlsPolicyDomains = null,
    IReadOnlyList<string>? TlsPolicyStrings = null,
    string? SendingIpAddress = null);
