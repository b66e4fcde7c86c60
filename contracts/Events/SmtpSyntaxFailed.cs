namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>smtp:fail:syntax</c>: an inbound client sent a command ingress could not parse: an
/// unrecognized command or malformed arguments (a 500 or 501 reply). Stream: the connection.
/// </summary>
/// <param name="ConnectionId">The connection's stream key.</param>
/// <param name="EventData">The reply ingress gave (<c>$event_data</c>).</param>
/// <param name="HostAddress">The client's address.</param>
[LifecycleEvent("smtp:fail:syntax")]
public sealed record SmtpSyntaxFailed(string ConnectionId, string EventData, string HostAddress);
