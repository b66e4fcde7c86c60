using Marten;
using MassTransit;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Events;
using Pipeline.Contracts.Queue;
using Pipeline.Infrastructure.Logging;
using Pipeline.Infrastructure.Store;

namespace Pipeline.Ingress.Spool;

/// <summary>
/// Makes accepted messages durable: for each, its raw bytes and its <c>msg:received</c> event
/// (which opens the message's stream and, through delivery's inline projection, queues it),
/// messages finishing together sharing one transaction (<see cref="GroupCommitService{T}"/>).
/// The connection's own events are written when it closes (<see cref="StreamEventWriter"/>),
/// so that a message costs one stream append, not two. Only after <see cref="CommitAsync"/>
/// returns may ingress answer 250.
/// </summary>
public sealed class MessageSpooler(
    IDocumentStore store, RawMessageStore raw, CommittedMessages handOff, IBus bus, MainLog mainLog, ILogger<MessageSpooler> log)
    : GroupCommitService<(MessageReceived Received, ReadOnlyMemory<byte> Data)>(log, writers: 2), IMessageSpool
{
    /// <summary>Commits the message; throws when it could not (or ingress is stopping), and then nothing of it was stored.</summary>
    public Task CommitAsync(MessageReceived received, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        SubmitAsync((received, data), cancellationToken);

    /// <inheritdoc />
    protected override async Task SaveAsync(IReadOnlyList<(MessageReceived Received, ReadOnlyMemory<byte> Data)> batch)
    {
        // For a delivery worker in this process (the hot hand-off), held before the commit so
        // that a claim, which can only follow it, always finds the message held.
        if (handOff.Enabled)
        {
            foreach (var (received, data) in batch)
                handOff.Hold(received, data.ToArray());
        }

        try
        {
            await using var session = store.LightweightSession();
            raw.Add(session, batch.Select(m => (m.Received.MessageId, m.Data)).ToList());
            foreach (var (received, _) in batch)
                session.Events.StartStream(received.MessageId, received);

            await session.SaveChangesAsync().ConfigureAwait(false);
        }
        catch when (handOff.Enabled)
        {
            foreach (var (received, _) in batch)
                handOff.Drop(received.MessageId);
            throw;
        }

        foreach (var (received, _) in batch)
        {
            mainLog.Received(received.MessageId, received.Sender, received.Helo, received.HostAddress, received.HostPort,
                received.Protocol, received.Proxy is { } p ? $"[{p.LocalAddress}]:{p.LocalPort}" : null,
                received.TlsVersion is null ? null : $"{received.TlsVersion}:{received.TlsCipher}", received.Size,
                received.Recipients.Select(r => r.Address));
        }

        // A wake-up for delivery, which also polls the queue: transient, the broker need not
        // write it to disk.
        try
        {
            await bus.Publish(new MessageQueued(batch.Select(p => p.Received.MessageId).ToList()), c => c.Durable = false).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The messages are stored and queued; delivery finds them at its next poll.
            log.LogWarning(e, "Could not announce {Count} messages on the bus", batch.Count);
        }
    }
}
