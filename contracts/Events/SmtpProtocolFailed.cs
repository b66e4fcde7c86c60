namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>smtp:fail:protocol</c>: an inbound client broke the protocol: a command out of sequence,
/// a refused AUTH, a synchronization error (any error reply that is not a syntax error).
/// Stream: the connection.
/// </summary>
/// <param name="ConnectionId">The connection's stream key.</param>
/// <param name="EventData">The reply ingress gave (<c>$event_data</c>).</param>
/// <param name="HostAddress">The client's address.</param>
[LifecycleEvent("smtp:fail:protocol")]
public sealed record SmtpProtocolFailed(string ConnectionId, string EventData, string HostAddress);
