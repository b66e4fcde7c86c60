namespace Pipeline.Events.Replay;

/// <summary>
/// <c>POST /replay</c>: a window of history to send again, marked as replayed, to one webhook
/// subscription or to the bus.
/// </summary>
public sealed class ReplayRequest
{
    /// <summary><c>bus</c>, or <c>webhook:NAME</c> with a subscription's name (or URL).</summary>
    public string Target { get; set; } = "";

    /// <summary>The first sequence number to replay (inclusive).</summary>
    public long? FromSequence { get; set; }

    /// <summary>Or the time to replay from: the first event stored at or after it.</summary>
    public DateTimeOffset? FromTime { get; set; }

    /// <summary>The last sequence number to replay (inclusive); by default the last stored when the replay starts.</summary>
    public long? ToSequence { get; set; }

    /// <summary>Event names to replay; empty: the webhook's own names, or all for the bus.</summary>
    public List<string> Names { get; set; } = [];
}

/// <summary>What a replay sent.</summary>
/// <param name="Target">Where to.</param>
/// <param name="From">The first sequence of the window.</param>
/// <param name="To">The last.</param>
/// <param name="Events">How many events went out.</param>
public sealed record ReplayResult(string Target, long From, long To, int Events);
