namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>smtp:connect</c>: the SMTP greeting was exchanged. Inbound, ingress sent it; outbound,
/// the server sent it. Stream: the connection.
/// </summary>
/// <param name="ConnectionId">The connection's stream key.</param>
/// <param name="Direction">Inbound or outbound.</param>
/// <param name="EventData">The banner, as sent on the wire (without CRLF).</param>
/// <param name="HostAddress">The remote address.</param>
/// <param name="HostPort">The remote port.</param>
/// <param name="Host">The remote host name when known.</param>
[LifecycleEvent("smtp:connect")]
public sealed record SmtpConnected(
    string ConnectionId,
    Direction Direction,
    string EventData,
    string HostAddress,
    int HostPort,
    string? Host = null);
