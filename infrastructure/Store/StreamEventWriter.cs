using System.Threading.Channels;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pipeline.Infrastructure.Store;

/// <summary>
/// Appends events that need no transaction of their own (a connection's events when it
/// closes: <c>tcp:connect</c>, <c>smtp:connect</c>, <c>tcp:close</c> ...) for many streams in
/// one transaction, so that closing a connection costs no commit. Such events carry no
/// message: a crash that loses the last few milliseconds of them loses no mail.
/// </summary>
public sealed class StreamEventWriter(IDocumentStore store, ILogger<StreamEventWriter> log) : BackgroundService
{
    private const int BatchLimit = 500;
    private const int Attempts = 3;

    private readonly Channel<(string ConnectionId, object[] Events)> _queue =
        Channel.CreateBounded<(string, object[])>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.Wait });

    /// <summary>Queues events for a stream; waits only when the writer is far behind. Once the writer stopped, writes them at once.</summary>
    public async ValueTask EnqueueAsync(string connectionId, object[] events, CancellationToken cancellationToken)
    {
        if (events.Length == 0)
            return;
        try
        {
            await _queue.Writer.WriteAsync((connectionId, events), cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            await WriteAsync([(connectionId, events)], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<(string ConnectionId, object[] Events)>();
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
                await WriteAvailableAsync(batch, CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is queued is written below.
        }

        _queue.Writer.TryComplete();
        await WriteAvailableAsync(batch, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task WriteAvailableAsync(List<(string ConnectionId, object[] Events)> batch, CancellationToken cancellationToken)
    {
        while (_queue.Reader.TryPeek(out _))
        {
            batch.Clear();
            while (batch.Count < BatchLimit && _queue.Reader.TryRead(out var item))
                batch.Add(item);
            await WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WriteAsync(List<(string ConnectionId, object[] Events)> batch, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var session = store.LightweightSession();
                foreach (var (connectionId, events) in batch)
                    session.Events.Append(connectionId, events);
                await session.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (attempt < Attempts)
            {
                log.LogWarning(e, "Could not store the events of {Count} streams; trying again", batch.Count);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                log.LogError(e, "Lost the events of {Count} streams", batch.Count);
                return;
            }
        }
    }
}
