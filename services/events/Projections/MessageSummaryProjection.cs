using JasperFx.Events;
using Marten.Events.Aggregation;
using Pipeline.Contracts.Events;

namespace Pipeline.Events.Projections;

/// <summary>
/// Keeps a <see cref="MessageSummary"/> document per message, asynchronously (the daemon of
/// the events role), for searches and the queue; a message's own page folds its stream live.
/// </summary>
public sealed class MessageSummaryProjection : SingleStreamProjection<MessageSummary, string>
{
    /// <summary>The projection's name, for rebuilds.</summary>
    public const string ProjectionName = "message-summary";

    /// <summary>Subscribes to the message events the summary reads.</summary>
    public MessageSummaryProjection()
    {
        Name = ProjectionName;
        IncludeType<MessageReceived>();
        IncludeType<RecipientDelivered>();
        IncludeType<RecipientFailed>();
        IncludeType<RecipientFailedInternally>();
        IncludeType<RecipientDeferred>();
        IncludeType<HostDeferred>();
        IncludeType<MessageDeferred>();
        IncludeType<MessageCancelled>();
        IncludeType<MessageCompleted>();
    }

    /// <inheritdoc />
    public override MessageSummary? Evolve(MessageSummary? snapshot, string id, IEvent e) => MessageSummary.Fold(snapshot, e);
}
