using JasperFx.Events.Projections;
using Marten;
using Pipeline.Contracts.Queue;
using Pipeline.Infrastructure.Store;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Pipeline.Delivery.Queue;

/// <summary>Delivery's part of the store: the queue table and its inline projection.</summary>
public sealed class QueueSchema : IStoreSchema
{
    /// <summary>The queue table's name.</summary>
    public const string Table = QueueTable.Name;

    /// <inheritdoc />
    public void Configure(StoreOptions options, string schema)
    {
        var table = new Table(new PostgresqlObjectName(schema, Table, SchemaUtils.IdentifierUsage.General));
        table.AddColumn<string>("message_id").AsPrimaryKey();
        table.AddColumn("sender", "text").NotNull();
        table.AddColumn("recipients", "integer").NotNull();
        // For GET /queue (QueueTable): the message's size, and the addresses still to deliver.
        table.AddColumn("size", "bigint").NotNull().DefaultValueByExpression("0");
        table.AddColumn("pending", "text[]").NotNull().DefaultValueByExpression("'{}'");
        table.AddColumn("received_at", "timestamptz").NotNull();
        table.AddColumn("next_attempt_at", "timestamptz").NotNull();
        table.AddColumn("attempts", "integer").NotNull();
        table.AddColumn("last_error", "text");
        table.AddColumn("claimed_by", "text");
        table.AddColumn("claimed_until", "timestamptz");
        // An operator asked for an attempt now, past its hosts' retry times (Exim's -M).
        table.AddColumn("forced", "boolean").NotNull().DefaultValueByExpression("false");
        // Only unclaimed rows are candidates for a claim: with the predicate, a claim reads the
        // few due rows it takes instead of every row the workers hold.
        table.Indexes.Add(new IndexDefinition("ix_delivery_queue_unclaimed_due")
        {
            Columns = ["next_attempt_at"],
            Predicate = "claimed_by is null",
        });
        options.Storage.ExtendedSchemaObjects.Add(table);
        options.Projections.Add(new QueueProjection(schema), ProjectionLifecycle.Inline);
    }
}
