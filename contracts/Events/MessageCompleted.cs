namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>msg:complete</c>: no recipient of the message is left to deliver; it leaves the queue.
/// Stream: the message. Main log: <c>Completed</c>.
/// </summary>
/// <param name="MessageId">The message.</param>
/// <param name="Delivered">How many recipients were delivered.</param>
/// <param name="Failed">How many failed.</param>
[LifecycleEvent("msg:complete")]
public sealed record MessageCompleted(string MessageId, int Delivered, int Failed);
