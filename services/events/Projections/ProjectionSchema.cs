using JasperFx.Events.Projections;
using Marten;
using Pipeline.Events.Webhooks;
using Pipeline.Infrastructure.Store;

namespace Pipeline.Events.Projections;

/// <summary>
/// The events role's part of the store: the webhook cursors, which every process registers,
/// and the projections with their indexes, which only a process running the events role
/// registers (<see cref="AddProjections"/>): they run asynchronously in its daemon, together
/// as one composite (<see cref="CompositeName"/>), so writers pay nothing for them. The
/// queue has none: <c>GET /queue</c> reads delivery's own table.
/// </summary>
public sealed class ProjectionSchema : IStoreSchema
{
    /// <summary>Every projection's name: what <c>GET /projections</c> lists and a rebuild accepts.</summary>
    public static IReadOnlyList<string> ProjectionNames { get; } =
    [
        MessageSummaryProjection.ProjectionName,
        RecipientDeliveryProjection.ProjectionName,
        ConnectionSummaryProjection.ProjectionName,
        EventCountProjection.ProjectionName,
    ];

    /// <summary>The most events the daemon reads for the projections at a time.</summary>
    public const int PageSize = 5000;

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

        // The daemon looks for new events once a second (Marten's default is four times), and
        // under load reads up to 5,000 at a time (default 500). Each read of a page joins the
        // events to every stream (PostgreSQL hash-joins mt_streams whole until it is large),
        // and each look for the log's high water mark scans the events since the last one.
        // Measured under the ingress benchmark, the two took 8.0 s of PostgreSQL's 32.0 s of
        // statement time with the defaults, 3.0 s of 26.9 s with these. Projections and the
        // bus forwarder follow the log up to a second later.
        options.Projections.FastPollingTime = TimeSpan.FromSeconds(1);
        options.Projections.SlowPollingTime = TimeSpan.FromSeconds(2);

        // One composite: the daemon reads each page of the log once for all of them, instead
        // of once each (measured: a sixth more messages/s for the embedded pipeline under load;
        // loading the pages was the largest of PostgreSQL's statement times). They are rebuilt together.
        options.Projections.CompositeProjectionFor(CompositeName, composite =>
        {
            composite.Add(new MessageSummaryProjection());
            composite.Add(new RecipientDeliveryProjection());
            composite.Add(new ConnectionSummaryProjection());
            composite.Add(new EventCountProjection());
            composite.Options.BatchSize = PageSize;
        });

        // Searches filter on these; duplicated into columns with b-tree indexes.
        options.Schema.For<MessageSummary>().Duplicate(x => x.Sequence).Duplicate(x => x.Sender).Duplicate(x => x.Status)
            .Duplicate(x => x.ReceivedAt);
        options.Schema.For<RecipientDelivery>().Duplicate(x => x.Address).Duplicate(x => x.MessageId);
        options.Schema.For<EventCount>().Duplicate(x => x.Hour);
    }
}
