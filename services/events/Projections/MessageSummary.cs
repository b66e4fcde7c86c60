using JasperFx.Events;
using Pipeline.Contracts.Events;

namespace Pipeline.Events.Projections;

/// <summary>
/// A message at a glance: its envelope, size, each recipient's state and attempts, and where
/// it stands in the queue. Folded from the message's stream: live for <c>GET /messages/{id}</c>
/// (<see cref="From"/>), and kept as a document by <see cref="MessageSummaryProjection"/> for
/// searches; both run the same <see cref="Fold"/>.
/// </summary>
public sealed class MessageSummary
{
    /// <summary>The message id (the stream's key).</summary>
    public string Id { get; set; } = "";

    /// <summary>The global sequence of its <c>msg:received</c>: the order, and the cursor, of searches.</summary>
    public long Sequence { get; set; }

    public string Sender { get; set; } = "";
    public DateTimeOffset ReceivedAt { get; set; }
    public long Size { get; set; }
    public string HostAddress { get; set; } = "";
    public string? Helo { get; set; }
    public string Protocol { get; set; } = "";
    public string ConnectionId { get; set; } = "";
    public string? AuthenticatedId { get; set; }

    /// <summary><c>queued</c>, <c>deferred</c> or <c>completed</c>.</summary>
    public string Status { get; set; } = "queued";

    /// <summary>Delivery attempts made.</summary>
    public int Attempts { get; set; }

    /// <summary>When the next attempt is due, while deferred.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>The last error of a deferred message.</summary>
    public string? LastError { get; set; }

    /// <summary>When it was completed, if it was.</summary>
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>Each recipient, in RCPT order; with PRDR, those refused at end of data last.</summary>
    public List<RecipientSummary> Recipients { get; set; } = [];

    /// <summary>Folds a message stream; null when it does not start with <c>msg:received</c>.</summary>
    public static MessageSummary? From(IEnumerable<IEvent> events)
    {
        MessageSummary? summary = null;
        foreach (var e in events)
            summary = Fold(summary, e);
        return summary;
    }

    /// <summary>One event's effect: <c>msg:received</c> opens the summary, later events move it on.</summary>
    public static MessageSummary? Fold(MessageSummary? summary, IEvent e)
    {
        if (e.Data is MessageReceived received)
            return Open(received, e.Sequence);
        summary?.Move(e.Data, e.Timestamp);
        return summary;
    }

    private static MessageSummary Open(MessageReceived received, long sequence)
    {
        var summary = new MessageSummary
        {
            Id = received.MessageId, Sequence = sequence, Sender = received.Sender, ReceivedAt = received.ReceivedAt, Size = received.Size,
            HostAddress = received.HostAddress, Helo = received.Helo, Protocol = received.Protocol, ConnectionId = received.ConnectionId,
            AuthenticatedId = received.AuthenticatedId,
            Recipients = received.Recipients.Select(r => new RecipientSummary { Address = r.Address, Domain = r.Domain }).ToList(),
        };
        foreach (var refused in received.PrdrRefused ?? [])
        {
            summary.Recipients.Add(new RecipientSummary
            {
                Address = refused.Recipient.Address, Domain = refused.Recipient.Domain, State = RecipientState.Refused, LastResult = refused.Reply,
            });
        }

        return summary;
    }

    private void Move(object e, DateTimeOffset at)
    {
        switch (e)
        {
            case RecipientDelivered d:
                Recipient(d.Recipient).Settle(RecipientState.Delivered, d.EventData, d.Host, at, Attempts + 1);
                break;
            case RecipientFailed f:
                Recipient(f.Recipient).Settle(RecipientState.Failed, f.EventData, f.Host, at, Attempts + 1);
                break;
            case RecipientFailedInternally f:
                Recipient(f.Recipient).Settle(RecipientState.Failed, f.EventData, null, at, Attempts + 1);
                break;
            case RecipientDeferred d:
                Recipient(d.Recipient).Defer(d.EventData, d.Host);
                break;
            case HostDeferred h:
                foreach (var r in h.Recipients)
                    Recipient(r).Defer(h.EventData, h.Host);
                break;
            case MessageDeferred deferred:
                AttemptEnded();
                Status = "deferred";
                NextAttemptAt = deferred.NextAttemptAt;
                LastError = deferred.EventData;
                break;
            case MessageCancelled cancelled:
                LastError = cancelled.EventData;
                break;
            case MessageCompleted:
                AttemptEnded();
                Status = "completed";
                NextAttemptAt = null;
                CompletedAt = at;
                break;
        }
    }

    // Every recipient the attempt was for counts it: those still pending, and those it settled.
    private void AttemptEnded()
    {
        Attempts++;
        foreach (var r in Recipients.Where(r => r.State is RecipientState.Queued or RecipientState.Deferred || r.SettledInAttempt == Attempts))
            r.Attempts++;
    }

    // The recipient an event names; one msg:received did not name is added rather than refused,
    // so that the projection never stops on an event it cannot place.
    private RecipientSummary Recipient(Recipient r)
    {
        if (Recipients.FirstOrDefault(x => x.Address == r.Address) is { } known)
            return known;
        var added = new RecipientSummary { Address = r.Address, Domain = r.Domain };
        Recipients.Add(added);
        return added;
    }
}

/// <summary>One recipient in <see cref="MessageSummary"/>.</summary>
public sealed class RecipientSummary
{
    public string Address { get; set; } = "";
    public string Domain { get; set; } = "";
    public RecipientState State { get; set; } = RecipientState.Queued;

    /// <summary>The attempts that concerned it.</summary>
    public int Attempts { get; set; }

    /// <summary>The last reply or error that concerned it.</summary>
    public string? LastResult { get; set; }

    /// <summary>The host that delivered, refused or deferred it last.</summary>
    public string? Host { get; set; }

    /// <summary>When it was delivered or failed.</summary>
    public DateTimeOffset? SettledAt { get; set; }

    /// <summary>The message's attempt that delivered or failed it.</summary>
    public int? SettledInAttempt { get; set; }

    internal void Settle(RecipientState state, string result, string? host, DateTimeOffset at, int attempt)
    {
        State = state;
        LastResult = result;
        Host = host;
        SettledAt = at;
        SettledInAttempt = attempt;
    }

    internal void Defer(string error, string? host)
    {
        State = RecipientState.Deferred;
        LastResult = error;
        Host = host;
    }
}
