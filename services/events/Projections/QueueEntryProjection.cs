using JasperFx.Events;
using Marten.Events.Aggregation;
using Pipeline.Contracts.Events;

namespace Pipeline.Events.Projections;

/// <summary>Keeps the queue view, a <see cref="QueueEntry"/> per message not yet complete, asynchronously.</summary>
public sealed class QueueEntryProjection : SingleStreamProjection<QueueEntry, string>
{
    /// <summary>The projection's name, for rebuilds.</summary>
    public const string ProjectionName = "queue";

    /// <summary>Subscribes to the events that move a message through the queue.</summary>
    public QueueEntryProjection()
    {
        Name = ProjectionName;
        IncludeType<MessageReceived>();
        IncludeType<RecipientDelivered>();
        IncludeType<RecipientFailed>();
        IncludeType<RecipientFailedInternally>();
        IncludeType<MessageDeferred>();
        IncludeType<MessageCompleted>();
    }

    /// <inheritdoc />
    public override QueueEntry? Evolve(QueueEntry? snapshot, string id, IEvent e) => QueueEntry.Fold(snapshot, e);
}
