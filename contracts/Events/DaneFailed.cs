namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>dane:fail</c>: DANE (RFC 7672) kept a server from being used: its TLSA lookup failed, a
/// host under <c>HostsRequireDane</c> had no DNSSEC-validated TLSA records, or no record
/// matched the server's certificate. The host is deferred; nothing goes in the clear. Stream:
/// the message.
/// </summary>
/// <param name="MessageId">The message.</param>
/// <param name="EventData">Exim's reason: <c>dane-required</c>, <c>tlsa-lookup</c> or <c>dane-verify</c>, then the detail.</param>
/// <param name="Host">The server's name.</param>
/// <param name="HostAddress">The server's address.</param>
/// <param name="HostPort">The server's port.</param>
/// <param name="Attempt">The delivery attempt, counting from 1.</param>
/// <param name="TlsResultType">
/// For a failure decided before connecting, as TLS reports name it (RFC 8460 §4.3): <c>dane-required</c>,
/// <c>tlsa-invalid</c> or <c>dnssec-invalid</c>; null for <c>dane-verify</c>, whose <c>tls:fail:connect</c> carries it.
/// </param>
/// <param name="TlsPolicyType">With <paramref name="TlsResultType"/>: <c>tlsa</c>.</param>
/// <param name="TlsPolicyDomains">With <paramref name="TlsResultType"/>: the policy's domain, the MX host (RFC 8460 §3).</param>
/// <param name="TlsPolicyStrings">With <paramref name="TlsResultType"/>: the TLSA records found, in zone-file form.</param>
[LifecycleEvent("dane:fail")]
public sealed record DaneFailed(
    string MessageId,
    string EventData,
    string Host,
    string HostAddress,
    int HostPort,
    int Attempt,
    string? TlsResultType = null,
    string? TlsPolicyType = null,
    IReadOnlyList<string>? TlsPolicyDomains = null,
    IReadOnlyList<string>? TlsPolicyStrings = null);
