namespace Pipeline.Contracts.Queue;

/// <summary>
/// A bus notification, not an event: ingress committed a message and delivery may start on it
/// now instead of at its next queue poll. Losing it delays the message; it never loses it.
/// </summary>
/// <param name="MessageId">The committed message.</param>
public sealed record MessageQueued(string MessageId);
