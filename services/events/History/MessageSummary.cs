using Pipeline.Contracts.Events;

namespace Pipeline.Events.History;

/// <summary>
/// What <c>GET /messages/{id}</c> answers: the envelope and each recipient's state, folded
/// from the message's stream.
/// </summary>
public sealed class MessageSummary
{
    public required string Id { get; init; }
    public required string Sender { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
    public required long Size { get; init; }
    public required string HostAddress { get; init; }
    public string? Helo { get; init; }
    public required string ConnectionId { get; init; }

    /// <summary><c>queued</c>, <c>deferred</c> or <c>completed</c>.</summary>
    public string Status { get; private set; } = "queued";

    /// <summary>Delivery attempts made.</summary>
    public int Attempts { get; private set; }

    /// <summary>When the next attempt is due, while deferred.</summary>
    public DateTimeOffset? NextAttemptAt { get; private set; }

    /// <summary>Each recipient, in RCPT order.</summary>
    public required IReadOnlyList<RecipientSummary> Recipients { get; init; }

    /// <summary>Folds a message stream; null when it does not start with <c>msg:received</c>.</summary>
    public static MessageSummary? From(IEnumerable<object> events)
    {
        MessageSummary? summary = null;
        foreach (var e in events)
        {
            if (e is MessageReceived received)
            {
                summary = new MessageSummary
                {
                    Id = received.MessageId, Sender = received.Sender, ReceivedAt = received.ReceivedAt, Size = received.Size,
                    HostAddress = received.HostAddress, Helo = received.Helo, ConnectionId = received.ConnectionId,
                    Recipients = received.Recipients.Select(r => new RecipientSummary { Address = r.Address }).ToList(),
                };
                continue;
            }

            summary?.Apply(e);
        }

        return summary;
    }

    private void Apply(object e)
    {
        switch (e)
        {
            case RecipientDelivered d:
                Recipient(d.Recipient).Settle(RecipientState.Delivered, d.EventData, d.Host);
                break;
            case RecipientFailed f:
                Recipient(f.Recipient).Settle(RecipientState.Failed, f.EventData, f.Host);
                break;
            case RecipientFailedInternally f:
                Recipient(f.Recipient).Settle(RecipientState.Failed, f.EventData, null);
                break;
            case RecipientDeferred d:
                Recipient(d.Recipient).Defer(d.EventData);
                break;
            case MessageDeferred deferred:
                Status = "deferred";
                Attempts = deferred.Attempt;
                NextAttemptAt = deferred.NextAttemptAt;
                foreach (var r in deferred.Pending)
                    Recipient(r).Defer(deferred.EventData);
                break;
            case MessageCompleted:
                Status = "completed";
                Attempts++;
                NextAttemptAt = null;
                break;
        }
    }

    private RecipientSummary Recipient(Recipient r) =>
        Recipients.FirstOrDefault(x => x.Address == r.Address)
        ?? throw new InvalidOperationException($"event names recipient {r.Address}, not in msg:received");
}

/// <summary>One recipient in <see cref="MessageSummary"/>.</summary>
public sealed class RecipientSummary
{
    public required string Address { get; init; }
    public RecipientState State { get; private set; } = RecipientState.Queued;

    /// <summary>The last reply or error that concerned it.</summary>
    public string? LastResult { get; private set; }

    /// <summary>The host that delivered or refused it.</summary>
    public string? Host { get; private set; }

    internal void Settle(RecipientState state, string result, string? host)
    {
        State = state;
        LastResult = result;
        Host = host;
    }

    internal void Defer(string error)
    {
        State = RecipientState.Deferred;
        LastResult = error;
    }
}
