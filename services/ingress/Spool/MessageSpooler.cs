using System.Threading.Channels;
using Marten;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Events;
using Pipeline.Contracts.Queue;
using Pipeline.Infrastructure.Logging;
using Pipeline.Infrastructure.Store;

namespace Pipeline.Ingress.Spool;

/// <summary>
/// Makes accepted messages durable: for each, its raw bytes and its <c>msg:received</c> event
/// (which opens the message's stream and, through delivery's inline projection, queues it).
/// The connection's own events are written when it closes (<see cref="StreamEventWriter"/>),
/// so that a message costs one stream append, not two. Messages that arrive while a commit is in flight are
/// committed together in the next transaction (group commit): under load one transaction and
/// one fsync carry many messages; alone, a message waits for no one. Only after
/// <see cref="CommitAsync"/> returns may ingress answer 250.
/// </summary>
public sealed class MessageSpooler(
    IDocumentStore store, RawMessageStore raw, IBus bus, MainLog mainLog, ILogger<MessageSpooler> log) : BackgroundService
{
    private const int BatchLimit = 100;
    private const int Writers = 2;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleWriter = false });

    private sealed record Pending(MessageReceived Received, ReadOnlyMemory<byte> Data)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Commits the message; throws when it could not (or ingress is stopping), and then nothing of it was stored.</summary>
    public async Task CommitAsync(MessageReceived received, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var pending = new Pending(received, data);
        await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        await pending.Done.Task.ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => WriteLoopAsync(stoppingToken))).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: messages already handed over are committed below; later ones are refused.
        }

        _queue.Writer.TryComplete();
        var batch = new List<Pending>(BatchLimit);
        while (TakeBatch(batch))
            await CommitBatchAsync(batch).ConfigureAwait(false);
    }

    private async Task WriteLoopAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>(BatchLimit);
        while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
        {
            if (TakeBatch(batch))
                await CommitBatchAsync(batch).ConfigureAwait(false);
        }
    }

    private bool TakeBatch(List<Pending> batch)
    {
        batch.Clear();
        while (batch.Count < BatchLimit && _queue.Reader.TryRead(out var item))
            batch.Add(item);
        return batch.Count > 0;
    }

    private async Task CommitBatchAsync(List<Pending> batch)
    {
        try
        {
            await SaveAsync(batch).ConfigureAwait(false);
        }
        catch (Exception e) when (batch.Count > 1)
        {
            // One bad message must not fail the others: commit each alone.
            log.LogWarning(e, "A group commit of {Count} messages failed; committing them one by one", batch.Count);
            foreach (var pending in batch)
            {
                try
                {
                    await SaveAsync([pending]).ConfigureAwait(false);
                }
                catch (Exception single)
                {
                    pending.Done.TrySetException(single);
                }
            }

            return;
        }
        catch (Exception e)
        {
            batch[0].Done.TrySetException(e);
            return;
        }
    }

    private async Task SaveAsync(IReadOnlyList<Pending> batch)
    {
        await using (var session = store.LightweightSession())
        {
            foreach (var (received, data) in batch)
            {
                raw.Add(session, received.MessageId, data);
                session.Events.StartStream(received.MessageId, received);
            }

            await session.SaveChangesAsync().ConfigureAwait(false);
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var received = batch[i].Received;
            mainLog.Received(received.MessageId, received.Sender, received.Helo, received.HostAddress, received.HostPort,
                received.Protocol, received.Proxy is { } p ? $"[{p.LocalAddress}]:{p.LocalPort}" : null,
                received.TlsVersion is null ? null : $"{received.TlsVersion}:{received.TlsCipher}", received.Size,
                received.Recipients.Select(r => r.Address));
            batch[i].Done.TrySetResult();
        }

        try
        {
            await bus.Publish(new MessageQueued(batch.Select(p => p.Received.MessageId).ToList())).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The messages are stored and queued; delivery finds them at its next poll.
            log.LogWarning(e, "Could not announce {Count} messages on the bus", batch.Count);
        }
    }
}
