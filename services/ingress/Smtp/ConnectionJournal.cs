using Pipeline.Infrastructure.Store;

namespace Pipeline.Ingress.Smtp;

/// <summary>
/// The lifecycle events of one inbound connection, held in memory while it lasts and written
/// when it closes (<see cref="Infrastructure.Store.StreamEventWriter"/>), so that a connection costs no
/// database round trip of its own per command.
/// </summary>
public sealed class ConnectionJournal(string connectionId)
{
    private readonly List<object> _pending = [];

    /// <summary>The connection's stream key.</summary>
    public string ConnectionId { get; } = connectionId;

    /// <summary>True when no event is pending.</summary>
    public bool IsEmpty => _pending.Count == 0;

    /// <summary>Adds an event to write at the next flush.</summary>
    public void Add(object lifecycleEvent) => _pending.Add(lifecycleEvent);

    /// <summary>Takes every pending event, leaving none.</summary>
    public object[] TakeAll()
    {
        var events = _pending.ToArray();
        _pending.Clear();
        return events;
    }
}
