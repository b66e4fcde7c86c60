namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>msg:defer</c>: a delivery attempt ended with recipients still to deliver; the message
/// waits in the queue until <see cref="NextAttemptAt"/>. Stream: the message.
/// </summary>
/// <param name="MessageId">The message.</param>
/// <param name="Pending">The recipients still to deliver.</param>
/// <param name="NextAttemptAt">When the next attempt is due, from the retry rules.</param>
/// <param name="Attempt">The attempt that just ended, counting from 1.</param>
/// <param name="EventData">The last error, for the queue listing.</param>
/// <param name="RetryRule">
/// The retry line that set <paramref name="NextAttemptAt"/> (<c>Delivery:Retry</c>, as configured, or <c>* * </c> and
/// <c>Delivery:RetryRules</c>): each pending recipient's line is the first matching it and its latest error's type, and
/// the earliest of their next times is the message's. Null when an attempt cut short is due again at once, and in events
/// recorded before it was kept.
/// </param>
[LifecycleEvent("msg:defer")]
public sealed record MessageDeferred(
    string MessageId,
    IReadOnlyList<Recipient> Pending,
    DateTimeOffset NextAttemptAt,
    int Attempt,
    string EventData,
    string? RetryRule = null);
