namespace Pipeline.Contracts.Queue;

/// <summary>
/// The queue as delivery keeps it: one row per message not yet complete, in the store's
/// schema, written in the same transactions as the message's events (queued with
/// <c>msg:received</c>, rescheduled by <c>msg:defer</c>, removed by <c>msg:complete</c>). The
/// events role lists it for <c>GET /queue</c> rather than keep a second copy: the table's name
/// and the columns below are the contract between the two.
/// </summary>
public static class QueueTable
{
    /// <summary>
    /// The table: <c>message_id</c>, <c>sender</c>, <c>received_at</c>, <c>size</c> (bytes),
    /// <c>recipients</c> (how many it had), <c>pending</c> (the addresses still to deliver),
    /// <c>attempts</c>, <c>next_attempt_at</c>, <c>last_error</c>.
    /// </summary>
    public const string Name = "delivery_queue";
}
