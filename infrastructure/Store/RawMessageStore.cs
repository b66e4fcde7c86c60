using Marten;
using Npgsql;
using Weasel.Postgresql.Tables;
using Pipeline.Infrastructure.Configuration;

namespace Pipeline.Infrastructure.Store;

/// <summary>
/// The raw bytes of every accepted message, in table <c>message_data</c>, written in the same
/// transaction as the message's <c>msg:received</c> event and read by delivery.
/// </summary>
public sealed class RawMessageStore(NpgsqlDataSource database, StoreSettings settings)
{
    private const string Table = "message_data";

    internal static void Configure(StoreOptions options, string schema)
    {
        var table = new Table(new Weasel.Postgresql.PostgresqlObjectName(schema, Table, Weasel.Postgresql.SchemaUtils.IdentifierUsage.General));
        table.AddColumn<string>("message_id").AsPrimaryKey();
        table.AddColumn("data", "bytea").NotNull();
        table.AddColumn("stored_at", "timestamptz").NotNull().DefaultValueByExpression("now()");
        options.Storage.ExtendedSchemaObjects.Add(table);
    }

    /// <summary>Queues the insert of a message's bytes into <paramref name="session"/>'s transaction.</summary>
    public void Add(IDocumentSession session, string messageId, ReadOnlyMemory<byte> data) =>
        Add(session, [(messageId, data)]);

    /// <summary>
    /// Queues the insert of several messages' bytes into <paramref name="session"/>'s
    /// transaction, as one statement: a group commit of many messages costs PostgreSQL one
    /// insert to parse and execute, not one per message.
    /// </summary>
    public void Add(IDocumentSession session, IReadOnlyCollection<(string MessageId, ReadOnlyMemory<byte> Data)> messages)
    {
        if (messages.Count == 0)
            return;
        session.QueueSqlCommand(
            $"insert into {settings.Schema}.{Table} (message_id, data) select * from unnest(?::text[], ?::bytea[])",
            messages.Select(m => m.MessageId).ToArray(), messages.Select(m => m.Data.ToArray()).ToArray());
    }

    /// <summary>Reads a message's bytes, or null when no such message is stored.</summary>
    public async Task<byte[]?> ReadAsync(string messageId, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"select data from {settings.Schema}.{Table} where message_id = $1");
        command.Parameters.AddWithValue(messageId);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as byte[];
    }
}
