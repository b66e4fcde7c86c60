namespace Pipeline.Events.Http;

/// <summary>
/// A message in the queue, as <c>GET /queue</c> (Exim's <c>-bp</c>) lists it: from
/// <c>msg:received</c> until <c>msg:complete</c>, read from delivery's own queue table
/// (<see cref="Contracts.Queue.QueueTable"/>), so it is as current as the log.
/// </summary>
/// <param name="Id">The message.</param>
/// <param name="Sender">Its envelope sender.</param>
/// <param name="ReceivedAt">When ingress accepted it.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Pending">The recipients still to deliver.</param>
/// <param name="Recipients">How many recipients it had.</param>
/// <param name="Attempts">Attempts made so far.</param>
/// <param name="NextAttemptAt">When the next attempt is due; at reception, the first one is.</param>
/// <param name="LastError">Why the last attempt left it queued.</param>
public sealed record QueueEntry(
    string Id,
    string Sender,
    DateTimeOffset ReceivedAt,
    long Size,
    IReadOnlyList<string> Pending,
    int Recipients,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    string? LastError);
