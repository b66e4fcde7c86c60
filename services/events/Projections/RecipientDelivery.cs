using JasperFx.Events;
using Pipeline.Contracts.Events;

namespace Pipeline.Events.Projections;

/// <summary>
/// The delivery history of one recipient of one message: every attempt's outcome for it, in
/// order. Searched by address (<c>GET /messages?recipient=</c>); its id is
/// <c>message-id/address</c>.
/// </summary>
public sealed class RecipientDelivery
{
    public string Id { get; set; } = "";
    public string MessageId { get; set; } = "";
    public string Address { get; set; } = "";
    public string Domain { get; set; } = "";
    public string Sender { get; set; } = "";
    public DateTimeOffset ReceivedAt { get; set; }
    public RecipientState State { get; set; } = RecipientState.Queued;

    /// <summary>What happened to it, in order.</summary>
    public List<RecipientStep> Steps { get; set; } = [];

    /// <summary>The document's id for a recipient of a message.</summary>
    public static string IdFor(string messageId, string address) => $"{messageId}/{address}";

    /// <summary>The documents an event concerns.</summary>
    public static IReadOnlyList<string> Concerned(object e) => e switch
    {
        MessageReceived r => r.Recipients.Concat((r.PrdrRefused ?? []).Select(x => x.Recipient)).Select(x => IdFor(r.MessageId, x.Address)).ToList(),
        RecipientDelivered d => [IdFor(d.MessageId, d.Recipient.Address)],
        RecipientFailed f => [IdFor(f.MessageId, f.Recipient.Address)],
        RecipientFailedInternally f => [IdFor(f.MessageId, f.Recipient.Address)],
        RecipientDeferred d => [IdFor(d.MessageId, d.Recipient.Address)],
        HostDeferred h => h.Recipients.Select(x => IdFor(h.MessageId, x.Address)).ToList(),
        _ => [],
    };

    /// <summary>One event's effect on the recipient <paramref name="id"/> names.</summary>
    public static RecipientDelivery Fold(RecipientDelivery? history, string id, IEvent e)
    {
        if (e.Data is MessageReceived received)
        {
            var address = id[(received.MessageId.Length + 1)..];
            var refused = received.PrdrRefused?.FirstOrDefault(x => x.Recipient.Address == address);
            var recipient = refused?.Recipient ?? received.Recipients.First(x => x.Address == address);
            history = new RecipientDelivery
            {
                Id = id, MessageId = received.MessageId, Address = address, Domain = recipient.Domain, Sender = received.Sender,
                ReceivedAt = received.ReceivedAt, State = refused is null ? RecipientState.Queued : RecipientState.Refused,
            };
            history.Steps.Add(new RecipientStep(e.Sequence, e.Timestamp, refused is null ? "msg:received" : "prdr:refused", refused?.Reply, null));
            return history;
        }

        history ??= new RecipientDelivery { Id = id };
        var (state, result, host) = e.Data switch
        {
            RecipientDelivered d => (RecipientState.Delivered, d.EventData, d.Host),
            RecipientFailed f => (RecipientState.Failed, f.EventData, f.Host),
            RecipientFailedInternally f => (RecipientState.Failed, f.EventData, null),
            RecipientDeferred d => (RecipientState.Deferred, d.EventData, d.Host),
            HostDeferred h => (RecipientState.Deferred, h.EventData, h.Host),
            _ => (history.State, null, null),
        };
        history.State = state;
        history.Steps.Add(new RecipientStep(e.Sequence, e.Timestamp, e.EventTypeName, result, host));
        return history;
    }
}

/// <summary>One step of a <see cref="RecipientDelivery"/>.</summary>
/// <param name="Sequence">The event's global sequence.</param>
/// <param name="Time">When it was recorded.</param>
/// <param name="Event">The event's name.</param>
/// <param name="Result">The reply or error.</param>
/// <param name="Host">The host concerned.</param>
public sealed record RecipientStep(long Sequence, DateTimeOffset Time, string Event, string? Result, string? Host);
