using JasperFx.Events.Projections;
using Marten;
using Pipeline.Events.Webhooks;
using Pipeline.Infrastructure.Store;

namespace Pipeline.Events.Projections;

/// <summary>
/// The events role's part of the store: the webhook cursors, which every process registers,
/// and the projections with their indexes, which only a process running the events role
/// registers (<see cref="AddProjections"/>): they run asynchronously in its daemon, together
/// as one composite (<see cref="CompositeName"/>), so writers pay nothing for them.
/// </summary>
public sealed class ProjectionSchema : IStoreSchema
{
    /// <summary>Every projection's name: what <c>GET /projections</c> lists and a rebuild accepts.</summary>
    public static IReadOnlyList<string> ProjectionNames { get; } =
    [
        MessageSummaryProjection.ProjectionName,
        RecipientDeliveryProjection.ProjectionName,
        ConnectionSummaryProjection.ProjectionName,
        QueueEntryProjection.ProjectionName,
        EventCountProjection.ProjectionName,
    ];

    /// <summary>The name under which the daemon runs (and rebuilds) the projections together.</summary>
    public const string CompositeName = "history";

    /// <inheritdoc />
    public void Configure(StoreOptions options, string schema) => new WebhookSchema().Configure(options, schema);

    /// <summary>Registers the projections, asynchronous, and the columns searches filter on.</summary>
    public static void AddProjections(StoreOptions options)
    {
        // The folds change the document they are given, which Marten's identity map for
        // aggregates (on by default since Marten 9) is not safe with: a document changed by a
        // batch that is then retried would be changed twice. Without it, each batch starts from
        // the stored documents.
        options.Projections.UseIdentityMapForAggregates = false;

        // One composite: the daemon reads each page of the log once for all five, instead of
        // five times (measured: a sixth more messages/s for the embedded pipeline under load;
        // loading the pages was the largest of PostgreSQL's statement times). They are rebuilt together.
        options.Projections.CompositeProjectionFor(CompositeName, composite =>
        {
            composite.Add(new MessageSummaryProjection());
            composite.Add(new RecipientDeliveryProjection());
            composite.Add(new ConnectionSummaryProjection());
            composite.Add(new QueueEntryProjection());
            composite.Add(new EventCountProjection());
        });

        // Searches filter on these; duplicated into columns with b-tree indexes.
        options.Schema.For<MessageSummary>().Duplicate(x => x.Sequence).Duplicate(x => x.Sender).Duplicate(x => x.Status)
            .Duplicate(x => x.ReceivedAt);
        options.Schema.For<RecipientDelivery>().Duplicate(x => x.Address).Duplicate(x => x.MessageId);
        options.Schema.For<QueueEntry>().Duplicate(x => x.NextAttemptAt);
        options.Schema.For<EventCount>().Duplicate(x => x.Hour);
    }
}
