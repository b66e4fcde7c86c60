namespace Pipeline.Contracts.Queue;

/// <summary>
/// A bus notification, not an event: ingress committed messages and delivery may start on
/// them now instead of at its next queue poll. Losing it delays the messages; it never loses them.
/// </summary>
/// <param name="MessageIds">The messages committed together.</param>
public sealed record MessageQueued(IReadOnlyList<string> MessageIds);
