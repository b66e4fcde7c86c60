using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pipeline.Infrastructure.Store;

/// <summary>
/// Group commit: items handed over while a commit is in flight are saved together by the
/// next one, so that under load one transaction (and one fsync) carries many, and alone an
/// item waits for no one. <see cref="SubmitAsync"/> returns once its item is committed, or
/// throws when it could not be; a failed batch is retried item by item, so that one bad item
/// fails only itself. At shutdown what was handed over is committed; later items are refused.
/// </summary>
public abstract class GroupCommitService<T>(ILogger log, int writers = 1, int batchLimit = 100) : BackgroundService
{
    private readonly Channel<Entry> _queue = Channel.CreateUnbounded<Entry>();

    private sealed record Entry(T Item)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Saves one batch in one transaction; throws when nothing of it was saved.</summary>
    protected abstract Task SaveAsync(IReadOnlyList<T> batch);

    /// <summary>Hands an item over and waits until it is committed.</summary>
    /// <exception cref="ChannelClosedException">The service is stopping.</exception>
    protected async Task SubmitAsync(T item, CancellationToken cancellationToken)
    {
        var entry = new Entry(item);
        await _queue.Writer.WriteAsync(entry, cancellationToken).ConfigureAwait(false);
        await entry.Done.Task.ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => WriteLoopAsync(stoppingToken))).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what was handed over is committed below.
        }

        _queue.Writer.TryComplete();
        var batch = new List<Entry>(batchLimit);
        while (TakeBatch(batch))
            await CommitAsync(batch).ConfigureAwait(false);
    }

    private async Task WriteLoopAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Entry>(batchLimit);
        while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
        {
            if (TakeBatch(batch))
                await CommitAsync(batch).ConfigureAwait(false);
        }
    }

    private bool TakeBatch(List<Entry> batch)
    {
        batch.Clear();
        while (batch.Count < batchLimit && _queue.Reader.TryRead(out var entry))
            batch.Add(entry);
        return batch.Count > 0;
    }

    private async Task CommitAsync(List<Entry> batch)
    {
        try
        {
            await SaveAsync(batch.Select(e => e.Item).ToList()).ConfigureAwait(false);
            foreach (var entry in batch)
                entry.Done.TrySetResult();
        }
        catch (Exception e) when (batch.Count > 1)
        {
            log.LogWarning(e, "A group commit of {Count} items failed; committing them one by one", batch.Count);
            foreach (var entry in batch)
            {
                try
                {
                    await SaveAsync([entry.Item]).ConfigureAwait(false);
                    entry.Done.TrySetResult();
                }
                catch (Exception single)
                {
                    entry.Done.TrySetException(single);
                }
            }
        }
        catch (Exception e)
        {
            batch[0].Done.TrySetException(e);
        }
    }
}
