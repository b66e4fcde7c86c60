using JasperFx.Events;
using Pipeline.Contracts.Events;

namespace Pipeline.Events.Projections;

/// <summary>
/// A message in the queue, as <c>GET /queue</c> (Exim's <c>-bp</c>) lists it: from
/// <c>msg:received</c> until <c>msg:complete</c>, which removes it.
/// </summary>
public sealed class QueueEntry
{
    public string Id { get; set; } = "";
    public string Sender { get; set; } = "";
    public DateTimeOffset ReceivedAt { get; set; }
    public long Size { get; set; }

    /// <summary>The recipients still to deliver.</summary>
    public List<string> Pending { get; set; } = [];

    /// <summary>How many recipients it had.</summary>
    public int Recipients { get; set; }

    /// <summary>Attempts made so far.</summary>
    public int Attempts { get; set; }

    /// <summary>When the next attempt is due; at reception, the first one is.</summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>Why the last attempt left it queued.</summary>
    public string? LastError { get; set; }

    /// <summary>One event's effect; null once the message is complete, which deletes the entry.</summary>
    public static QueueEntry? Fold(QueueEntry? entry, IEvent e)
    {
        switch (e.Data)
        {
            case MessageReceived received:
                return new QueueEntry
                {
                    Id = received.MessageId, Sender = received.Sender, ReceivedAt = received.ReceivedAt, Size = received.Size,
                    Pending = received.Recipients.Select(r => r.Address).ToList(), Recipients = received.Recipients.Count,
                    NextAttemptAt = received.ReceivedAt,
                };
            case MessageCompleted:
                return null;
        }

        if (entry is null)
            return null;
        switch (e.Data)
        {
            case RecipientDelivered d:
                entry.Pending.Remove(d.Recipient.Address);
                break;
            case RecipientFailed f:
                entry.Pending.Remove(f.Recipient.Address);
                break;
            case RecipientFailedInternally f:
                entry.Pending.Remove(f.Recipient.Address);
                break;
            case MessageDeferred deferred:
                entry.Attempts = deferred.Attempt;
                entry.NextAttemptAt = deferred.NextAttemptAt;
                entry.LastError = deferred.EventData;
                break;
        }

        return entry;
    }
}
