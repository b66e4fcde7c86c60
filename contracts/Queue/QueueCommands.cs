namespace Pipeline.Contracts.Queue;

/// <summary>
/// An operator's request (<c>POST /messages/{id}/retry</c>, Exim's <c>-M</c>): attempt the
/// message now, whatever its retry time and its hosts' retry times. Answered with
/// <see cref="QueueCommandResult"/> by any delivery worker.
/// </summary>
/// <param name="MessageId">The message.</param>
public sealed record RetryMessage(string MessageId);

/// <summary>
/// An operator's request (<c>POST /messages/{id}/cancel</c>, Exim's <c>-Mg</c>): give the
/// message up; its pending recipients fail and the sender gets a bounce. Answered with
/// <see cref="QueueCommandResult"/> by any delivery worker.
/// </summary>
/// <param name="MessageId">The message.</param>
/// <param name="By">Who asked, for the record.</param>
public sealed record CancelMessage(string MessageId, string By);

/// <summary>What became of a <see cref="RetryMessage"/> or <see cref="CancelMessage"/>.</summary>
/// <param name="MessageId">The message.</param>
/// <param name="Outcome">What happened.</param>
/// <param name="Detail">A sentence for the operator.</param>
public sealed record QueueCommandResult(string MessageId, QueueCommandOutcome Outcome, string Detail);

/// <summary>The outcome of a queue command.</summary>
public enum QueueCommandOutcome
{
    /// <summary>Done: the message is due now, or cancelled.</summary>
    Done,

    /// <summary>The message is not in the queue: unknown, or already complete.</summary>
    NotQueued,

    /// <summary>A delivery attempt holds the message right now; ask again when it ends.</summary>
    Busy,
}
