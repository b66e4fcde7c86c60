namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>tls:fail:connect</c>: an outbound TLS negotiation failed: the handshake, or a check of
/// the server's certificate the configuration requires (verification, OCSP). Stream: the
/// connection. Where TLS is not required the delivery is then tried again in the clear.
/// </summary>
/// <param name="ConnectionId">The connection's stream key.</param>
/// <param name="EventData">Why (<c>$event_data</c>).</param>
/// <param name="HostAddress">The server's address.</param>
/// <param name="Host">The server's name.</param>
[LifecycleEvent("tls:fail:connect")]
public sealed record TlsConnectFailed(string ConnectionId, string EventData, string HostAddress, string? Host);
