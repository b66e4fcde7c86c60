using Marten;
using Npgsql;
using Pipeline.Infrastructure.Configuration;
using JasperFx.Events;

namespace Pipeline.Events.Http;

/// <summary>
/// Reads the event log in global order (Marten's sequence) for readers that resume from a
/// cursor, without gaps: sequence numbers are taken when a transaction appends, not when it
/// commits, so a number missing after the cursor may belong to a transaction still in flight.
/// The feed stops before such a hole until the events after it are older than
/// <see cref="GapWait"/>; a hole that old is a rolled-back transaction's, and is passed.
/// </summary>
public sealed class EventFeed(NpgsqlDataSource database, StoreSettings store, IDocumentStore events, TimeProvider clock)
{
    /// <summary>How long a hole in the sequence may belong to a transaction still committing.</summary>
    public static readonly TimeSpan GapWait = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Up to <paramref name="limit"/> events after <paramref name="after"/> whose names are in
    /// <paramref name="names"/> (all when empty), and the cursor to read on from: past every
    /// event this page could see, matching or not.
    /// </summary>
    public async Task<(IReadOnlyList<IEvent> Events, long Next)> ReadAsync(long after, IReadOnlySet<string> names, int limit,
        CancellationToken cancellationToken)
    {
        var safe = await SafeUpToAsync(after, cancellationToken).ConfigureAwait(false);
        if (safe <= after)
            return ([], after);

        await using var session = events.QuerySession();
        var query = session.Events.QueryAllRawEvents().Where(e => e.Sequence > after && e.Sequence <= safe);
        if (names.Count > 0)
        {
            var typeNames = names.ToArray();
            query = query.Where(e => typeNames.Contains(e.EventTypeName));
        }

        var page = await query.OrderBy(e => e.Sequence).Take(limit).ToListAsync(cancellationToken).ConfigureAwait(false);
        return (page, page.Count == limit ? page[^1].Sequence : safe);
    }

    /// <summary>The sequence just before the first event stored at or after <paramref name="time"/>: a cursor that reads from there.</summary>
    public async Task<long> CursorAtAsync(DateTimeOffset time, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"select coalesce(min(seq_id), (select coalesce(max(seq_id), 0) + 1 from {store.Schema}.mt_events)) - 1 " +
            $"from {store.Schema}.mt_events where timestamp >= $1");
        command.Parameters.AddWithValue(time);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The highest sequence stored now.</summary>
    public async Task<long> LastAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"select coalesce(max(seq_id), 0) from {store.Schema}.mt_events");
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    // The highest sequence up to which no event can still appear.
    private async Task<long> SafeUpToAsync(long after, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"select seq_id, timestamp from {store.Schema}.mt_events where seq_id > $1 order by seq_id limit 5000");
        command.Parameters.AddWithValue(after);
        var settled = clock.GetUtcNow() - GapWait;
        var safe = after;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var sequence = reader.GetInt64(0);
            if (sequence != safe + 1 && reader.GetFieldValue<DateTimeOffset>(1) > settled)
                break;
            safe = sequence;
        }

        return safe;
    }
}
