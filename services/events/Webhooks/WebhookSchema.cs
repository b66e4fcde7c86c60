using Marten;
using Pipeline.Infrastructure.Store;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Pipeline.Events.Webhooks;

/// <summary>The events role's part of the store: each webhook subscription's cursor, the sequence it has delivered up to.</summary>
public sealed class WebhookSchema : IStoreSchema
{
    /// <summary>The table's name.</summary>
    public const string Table = "webhook_cursors";

    /// <inheritdoc />
    public void Configure(StoreOptions options, string schema)
    {
        var table = new Table(new PostgresqlObjectName(schema, Table, SchemaUtils.IdentifierUsage.General));
        table.AddColumn<string>("subscription").AsPrimaryKey();
        table.AddColumn("sequence", "bigint").NotNull();
        options.Storage.ExtendedSchemaObjects.Add(table);
    }
}
