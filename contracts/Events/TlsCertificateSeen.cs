namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>tls:cert</c>: one certificate of the peer's chain during TLS negotiation, once per
/// certificate. Stream: the connection.
/// </summary>
/// <param name="ConnectionId">The connection's stream key.</param>
/// <param name="Direction">Inbound or outbound.</param>
/// <param name="EventData">The certificate's depth in the chain (0 is the peer's own), as Exim gives it.</param>
/// <param name="Subject">The certificate's subject.</param>
/// <param name="Issuer">The certificate's issuer.</param>
/// <param name="PeerCertificate">The certificate, PEM encoded (<c>$tls_out_peercert</c> / <c>$tls_in_peercert</c>).</param>
/// <param name="HostAddress">The remote address.</param>
/// <param name="Host">The remote host name when known.</param>
[LifecycleEvent("tls:cert")]
public sealed record TlsCertificateSeen(
    string ConnectionId,
    Direction Direction,
    string EventData,
    string Subject,
    string Issuer,
    string PeerCertificate,
    string HostAddress,
    string? Host = null);
