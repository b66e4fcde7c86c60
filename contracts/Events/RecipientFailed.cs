namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>msg:fail:delivery</c>: a recipient failed permanently: a 5xx reply, or its retry time
/// ran out. Stream: the message. Main log: <c>**</c>.
/// </summary>
/// <param name="MessageId">The message.</param>
/// <param name="Recipient">The recipient that failed.</param>
/// <param name="EventData">The error: the server's reply, or why delivery gave up.</param>
/// <param name="Host">The host that refused it, when one did.</param>
/// <param name="HostAddress">That host's address.</param>
/// <param name="HostPort">That host's port, or 0.</param>
/// <param name="RouterName">The router.</param>
/// <param name="TransportName">The transport.</param>
/// <param name="Attempt">The delivery attempt, counting from 1.</param>
[LifecycleEvent("msg:fail:delivery")]
public sealed record RecipientFailed(
    string MessageId,
    Recipient Recipient,
    string EventData,
    string? Host,
    string? HostAddress,
    int HostPort,
    string RouterName,
    string TransportName,
    int Attempt);
