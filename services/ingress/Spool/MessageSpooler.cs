using Marten;
using MassTransit;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Events;
using Pipeline.Contracts.Queue;
using Pipeline.Infrastructure.Logging;
using Pipeline.Infrastructure.Store;
using Pipeline.Ingress.Smtp;

namespace Pipeline.Ingress.Spool;

/// <summary>
/// Makes an accepted message durable: its raw bytes, its <c>msg:received</c> event (which
/// opens the message's stream and, through delivery's inline projection, queues it) and the
/// connection's pending events, in one PostgreSQL transaction. Only after it returns may
/// ingress answer 250.
/// </summary>
public sealed class MessageSpooler(
    IDocumentStore store, RawMessageStore raw, IPublishEndpoint bus, MainLog mainLog, ILogger<MessageSpooler> log)
{
    /// <summary>Commits the message; throws when it could not, and then nothing was stored.</summary>
    public async Task CommitAsync(MessageReceived received, ReadOnlyMemory<byte> data, ConnectionJournal journal,
        CancellationToken cancellationToken)
    {
        await using (var session = store.LightweightSession())
        {
            raw.Add(session, received.MessageId, data);
            session.Events.StartStream(received.MessageId, received);
            var flushed = journal.FlushInto(session);
            await session.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            journal.Committed(flushed);
        }

        mainLog.Received(received.MessageId, received.Sender, received.Helo, received.HostAddress, received.HostPort,
            received.Protocol, received.Size, received.Recipients.Select(r => r.Address));

        try
        {
            await bus.Publish(new MessageQueued(received.MessageId), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The message is stored and queued; delivery finds it at its next poll.
            log.LogWarning(e, "Could not announce message {MessageId} on the bus", received.MessageId);
        }
    }

    /// <summary>Writes the connection's pending events, when it closes.</summary>
    public async Task FlushAsync(ConnectionJournal journal, CancellationToken cancellationToken)
    {
        await using var session = store.LightweightSession();
        var flushed = journal.FlushInto(session);
        if (flushed == 0)
            return;
        await session.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        journal.Committed(flushed);
    }
}
