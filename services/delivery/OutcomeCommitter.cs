using System.Threading.Channels;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pipeline.Delivery;

/// <summary>
/// Appends the outcomes of delivery attempts: attempts that end while a commit is in flight
/// share the next transaction (group commit), each still guarded by its stream's expected
/// version. A batch that fails is retried one attempt at a time, so that one conflict fails
/// only its own attempt.
/// </summary>
public sealed class OutcomeCommitter(IDocumentStore store, ILogger<OutcomeCommitter> log) : BackgroundService
{
    private const int BatchLimit = 100;

    private readonly Channel<Outcome> _queue = Channel.CreateUnbounded<Outcome>();

    private sealed record Outcome(string MessageId, long ExpectedVersion, object[] Events, IReadOnlyDictionary<string, List<object>> Connections)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// Appends <paramref name="events"/> to the message's stream, which must be at
    /// <paramref name="expectedVersion"/> afterwards, with the connections' events; throws when
    /// it could not, and then nothing of it was stored.
    /// </summary>
    public async Task CommitAsync(string messageId, long expectedVersion, object[] events,
        IReadOnlyDictionary<string, List<object>> connections, CancellationToken cancellationToken)
    {
        var outcome = new Outcome(messageId, expectedVersion, events, connections);
        await _queue.Writer.WriteAsync(outcome, cancellationToken).ConfigureAwait(false);
        await outcome.Done.Task.ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Outcome>(BatchLimit);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
                await CommitAvailableAsync(batch).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what was handed over is committed below; later attempts are refused.
        }

        _queue.Writer.TryComplete();
        await CommitAvailableAsync(batch).ConfigureAwait(false);
    }

    private async Task CommitAvailableAsync(List<Outcome> batch)
    {
        while (true)
        {
            batch.Clear();
            while (batch.Count < BatchLimit && _queue.Reader.TryRead(out var item))
                batch.Add(item);
            if (batch.Count == 0)
                return;
            try
            {
                await SaveAsync(batch).ConfigureAwait(false);
            }
            catch (Exception e) when (batch.Count > 1)
            {
                log.LogDebug(e, "A group commit of {Count} attempts failed; committing them one by one", batch.Count);
                foreach (var outcome in batch)
                {
                    try
                    {
                        await SaveAsync([outcome]).ConfigureAwait(false);
                    }
                    catch (Exception single)
                    {
                        outcome.Done.TrySetException(single);
                    }
                }
            }
            catch (Exception e)
            {
                batch[0].Done.TrySetException(e);
            }
        }
    }

    private async Task SaveAsync(IReadOnlyList<Outcome> batch)
    {
        await using (var session = store.LightweightSession())
        {
            foreach (var outcome in batch)
            {
                session.Events.Append(outcome.MessageId, outcome.ExpectedVersion, outcome.Events);
                foreach (var (connectionId, events) in outcome.Connections)
                    session.Events.Append(connectionId, events.ToArray());
            }

            await session.SaveChangesAsync().ConfigureAwait(false);
        }

        foreach (var outcome in batch)
            outcome.Done.TrySetResult();
    }
}
