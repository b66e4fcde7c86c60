using Npgsql;
using Pipeline.Contracts.Queue;
using Pipeline.Infrastructure.Configuration;

namespace Pipeline.Delivery.Queue;

/// <summary>
/// Claims due messages in <c>delivery_queue</c> for one worker with <c>FOR UPDATE SKIP
/// LOCKED</c>, so that any number of delivery processes share the queue and each message is
/// worked on by one of them at a time. A claim is a lease: a worker that dies gives its
/// messages back when the lease runs out (<see cref="ReleaseExpiredAsync"/>).
/// </summary>
public sealed class QueueClaims(NpgsqlDataSource database, StoreSettings store, DeliveryOptions options)
{
    /// <summary>This process's name on its claims.</summary>
    public string Worker { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    /// <summary>
    /// Claims up to <paramref name="limit"/> due messages, oldest due first, each with whether
    /// an operator forced it (<see cref="ForceAsync"/>): then its hosts' retry times do not hold
    /// it back; and with whether no attempt has been recorded for it yet: then its stream holds
    /// only its <c>msg:received</c> (a recorded attempt either defers it, counted here, or completes it, which removes the row).
    /// </summary>
    public async Task<IReadOnlyList<ClaimedMessage>> ClaimDueAsync(int limit, CancellationToken cancellationToken)
    {
        // The due rows are locked once, by a materialized CTE, and then updated by key, matched
        // twice so that the plan reads only those rows whichever side the planner starts from.
        // PostgreSQL's idea of the queue's size is often wrong: a young table keeps the generic
        // plan made when it was tiny, and after autovacuum analyzed a drained queue the planner
        // takes it for empty. Written as `message_id in (select ... limit $3 for update skip
        // locked)`, the claim then became a nested loop that ran the locking subquery again for
        // each row of the queue, each run skipping the rows the statement had just claimed: a
        // claim for 2 took all 12 due messages, past Delivery:MaxParallel. With the join alone,
        // the drained queue was read whole for each claim (5 ms a claim under load, the rate
        // halved); with `= any(array(...))` alone, the young one (0.9 to 1.5 ms). In both states this
        // statement took 0.14 to 0.16 ms (pg_stat_statements, 20,000 messages).
        var table = $"{store.Schema}.{QueueSchema.Table}";
        await using var command = database.CreateCommand(
            $"with due as materialized (select message_id from {table} " +
            "where claimed_by is null and next_attempt_at <= now() " +
            "order by next_attempt_at limit $3 for update skip locked) " +
            $"update {table} q set claimed_by = $1, claimed_until = now() + $2 from due " +
            "where q.message_id = due.message_id and q.message_id = any(array(select message_id from due)) " +
            "returning q.message_id, q.forced, q.attempts = 0");
        command.Parameters.AddWithValue(Worker);
        command.Parameters.AddWithValue(options.ClaimLease);
        command.Parameters.AddWithValue(limit);
        var claimed = new List<ClaimedMessage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            claimed.Add(new ClaimedMessage(reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2)));
        return claimed;
    }

    /// <summary>
    /// Makes a message due now and forced (Exim's <c>-M</c>), unless an attempt holds it
    /// (<see cref="QueueCommandOutcome.Busy"/>) or it is not queued.
    /// </summary>
    public Task<QueueCommandOutcome> ForceAsync(string messageId, CancellationToken cancellationToken) =>
        ChangeUnclaimedAsync(messageId, "next_attempt_at = now(), forced = true", cancellationToken);

    /// <summary>Claims one message, for an operator's command, unless an attempt holds it.</summary>
    public Task<QueueCommandOutcome> ClaimAsync(string messageId, CancellationToken cancellationToken) =>
        ChangeUnclaimedAsync(messageId, "claimed_by = $2, claimed_until = now() + $3", cancellationToken);

    private async Task<QueueCommandOutcome> ChangeUnclaimedAsync(string messageId, string set, CancellationToken cancellationToken)
    {
        var table = $"{store.Schema}.{QueueSchema.Table}";
        await using var command = database.CreateCommand(
            $"with changed as (update {table} set {set} where message_id = $1 and claimed_by is null returning 1) " +
            $"select (select count(*) from changed), (select count(*) from {table} where message_id = $1)");
        command.Parameters.AddWithValue(messageId);
        command.Parameters.AddWithValue(Worker);
        command.Parameters.AddWithValue(options.ClaimLease);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return reader.GetInt64(0) > 0 ? QueueCommandOutcome.Done : reader.GetInt64(1) > 0 ? QueueCommandOutcome.Busy : QueueCommandOutcome.NotQueued;
    }

    /// <summary>
    /// Gives back the messages whose lease ran out, claimed by a worker that died or hangs.
    /// Kept out of <see cref="ClaimDueAsync"/>, which runs whenever a slot frees, so that claims
    /// stay index lookups; the runner calls this once per poll interval.
    /// </summary>
    public async Task<int> ReleaseExpiredAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"update {store.Schema}.{QueueSchema.Table} set claimed_by = null, claimed_until = null " +
            "where claimed_by is not null and claimed_until < now()");
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Extends this worker's claims on <paramref name="messageIds"/> by a lease from now; the
    /// messages whose claims it extended. A claim that ran out and was taken by another worker
    /// is not among them. Only the messages named: a claim left behind by an attempt that could
    /// not give it back still runs out.
    /// </summary>
    public async Task<IReadOnlyList<string>> RenewAsync(IReadOnlyCollection<string> messageIds, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"update {store.Schema}.{QueueSchema.Table} set claimed_until = now() + $2 " +
            "where claimed_by = $1 and message_id = any($3) returning message_id");
        command.Parameters.AddWithValue(Worker);
        command.Parameters.AddWithValue(options.ClaimLease);
        command.Parameters.AddWithValue(messageIds.ToArray());
        var renewed = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            renewed.Add(reader.GetString(0));
        return renewed;
    }

    /// <summary>Gives a claimed message back at once, after an attempt that recorded nothing.</summary>
    public async Task ReleaseAsync(string messageId, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"update {store.Schema}.{QueueSchema.Table} set claimed_by = null, claimed_until = null " +
            "where message_id = $1 and claimed_by = $2");
        command.Parameters.AddWithValue(messageId);
        command.Parameters.AddWithValue(Worker);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>A message <see cref="QueueClaims.ClaimDueAsync"/> claimed.</summary>
/// <param name="MessageId">The message.</param>
/// <param name="Forced">An operator asked for this attempt.</param>
/// <param name="FirstAttempt">No attempt has been recorded for it: its stream is its <c>msg:received</c> alone.</param>
public sealed record ClaimedMessage(string MessageId, bool Forced, bool FirstAttempt);
