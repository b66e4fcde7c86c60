namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>tls:fail:connect</c>: an outbound TLS negotiation failed: the handshake, or a check of
/// the server's certificate the configuration requires (verification, OCSP), or, where TLS is
/// required, a server that does not offer or refuses STARTTLS. Stream: the
/// connection. Where TLS is not required the delivery is then tried again in the clear.
/// </summary>
/// <param name="ConnectionId">The connection's stream key.</param>
/// <param name="EventData">Why (<c>$event_data</c>).</param>
/// <param name="HostAddress">The server's address.</param>
/// <param name="Host">The server's name.</param>
/// <param name="TlsResultType">The failure as TLS reports name it (RFC 8460 §4.3), e.g. <c>certificate-expired</c> or <c>starttls-not-supported</c>.</param>
/// <param name="TlsPolicyType">The TLS policy the session was under (RFC 8460 §4.4): <c>tlsa</c>, <c>sts</c> or <c>no-policy-found</c>.</param>
/// <param name="TlsPolicyDomains">The policy's domains (RFC 8460 §3): the MX host for <c>tlsa</c>, else the recipients' domains.</param>
/// <param name="TlsPolicyStrings">The policy as TLS reports show it (<c>policy-string</c>), or null.</param>
/// <param name="SendingIpAddress">The local address the connection was made from (<c>sending-mta-ip</c>).</param>
[LifecycleEvent("tls:fail:connect")]
public sealed record TlsConnectFailed(
    string ConnectionId,
    string EventData,
    string HostAddress,
    string? Host,
    string? TlsResultType = null,
    string? TlsPolicyType = null,
    IReadOnlyList<string>? TlsPolicyDomains = null,
    IReadOnlyList<string>? TlsPolicyStrings = null,
    string? SendingIpAddress = null);
