namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>tcp:close</c>: a connection ended. Stream: the connection.
/// </summary>
/// <param name="ConnectionId">The connection's stream key.</param>
/// <param name="Direction">Inbound or outbound.</param>
/// <param name="HostAddress">The remote address.</param>
/// <param name="HostPort">The remote port.</param>
/// <param name="EventData">Why it ended: <c>quit</c>, <c>peer closed</c>, <c>timeout</c>, <c>shutdown</c>, or an error text.</param>
/// <param name="Messages">How many messages the connection carried.</param>
[LifecycleEvent("tcp:close")]
public sealed record TcpClosed(
    string ConnectionId,
    Direction Direction,
    string HostAddress,
    int HostPort,
    string EventData,
    int Messages);
