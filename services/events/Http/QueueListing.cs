using Npgsql;
using Pipeline.Contracts.Queue;
using Pipeline.Infrastructure.Configuration;

namespace Pipeline.Events.Http;

/// <summary>
/// Reads the queue for <c>GET /queue</c> from delivery's table (<see cref="QueueTable"/>),
/// soonest due first: two index reads, where a projection of its own cost the events role two
/// document writes per message.
/// </summary>
public sealed class QueueListing(NpgsqlDataSource database, StoreSettings store)
{
    /// <summary>How many messages are queued, and the first <paramref name="limit"/> of them, soonest due first.</summary>
    public async Task<QueuePage> ListAsync(int limit, CancellationToken cancellationToken)
    {
        var table = $"{store.Schema}.{QueueTable.Name}";
        await using var batch = database.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"select count(*) from {table}"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "select message_id, sender, received_at, size, pending, recipients, attempts, next_attempt_at, last_error " +
            $"from {table} order by next_attempt_at, message_id limit $1") { Parameters = { new() { Value = limit } } });
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var count = (int)reader.GetInt64(0);
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<QueueEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(new QueueEntry(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetInt64(3),
                reader.GetFieldValue<string[]>(4), reader.GetInt32(5), reader.GetInt32(6), reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : reader.GetString(8)));
        }

        return new QueuePage(count, entries);
    }
}
