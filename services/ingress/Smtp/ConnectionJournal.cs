using Marten;

namespace Pipeline.Ingress.Smtp;

/// <summary>
/// The lifecycle events of one inbound connection, held until the next commit: they are
/// written with each accepted message and when the connection closes, so that a connection
/// costs no database round trip of its own per command.
/// </summary>
public sealed class ConnectionJournal(string connectionId)
{
    private readonly List<object> _pending = [];

    /// <summary>The connection's stream key.</summary>
    public string ConnectionId { get; } = connectionId;

    /// <summary>Adds an event to write at the next flush.</summary>
    public void Add(object lifecycleEvent) => _pending.Add(lifecycleEvent);

    /// <summary>Queues the pending events into <paramref name="session"/>; call <see cref="Committed"/> once it saved.</summary>
    public int FlushInto(IDocumentSession session)
    {
        if (_pending.Count > 0)
            session.Events.Append(ConnectionId, _pending.ToArray());
        return _pending.Count;
    }

    /// <summary>Forgets the first <paramref name="count"/> events, which are now stored.</summary>
    public void Committed(int count) => _pending.RemoveRange(0, count);
}
