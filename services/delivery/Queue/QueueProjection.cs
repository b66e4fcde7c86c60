using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using Pipeline.Contracts.Events;

namespace Pipeline.Delivery.Queue;

/// <summary>
/// Keeps table <c>delivery_queue</c> true to the message streams, inline: the transaction that
/// appends <c>msg:received</c> queues the message, <c>msg:defer</c> reschedules it and
/// releases its claim, <c>msg:complete</c> removes it. The queue is thus derived from events
/// and can be rebuilt from them; delivery claims rows here (<see cref="QueueClaims"/>).
/// </summary>
public sealed class QueueProjection(string schema) : IProjection
{
    /// <inheritdoc />
    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        foreach (var e in events)
        {
            switch (e.Data)
            {
                case MessageReceived received:
                    operations.QueueSqlCommand(
                        $"insert into {schema}.{QueueSchema.Table} (message_id, sender, recipients, received_at, next_attempt_at, attempts) " +
                        "values (?, ?, ?, ?, ?, 0) on conflict (message_id) do nothing",
                        received.MessageId, received.Sender, received.Recipients.Count, received.ReceivedAt, received.ReceivedAt);
                    break;
                case MessageDeferred deferred:
                    operations.QueueSqlCommand(
                        $"update {schema}.{QueueSchema.Table} set next_attempt_at = ?, attempts = ?, last_error = ?, " +
                        "claimed_by = null, claimed_until = null, forced = false where message_id = ?",
                        deferred.NextAttemptAt, deferred.Attempt, deferred.EventData, deferred.MessageId);
                    break;
                case MessageCompleted completed:
                    operations.QueueSqlCommand($"delete from {schema}.{QueueSchema.Table} where message_id = ?", completed.MessageId);
                    break;
            }
        }

        return Task.CompletedTask;
    }
}
