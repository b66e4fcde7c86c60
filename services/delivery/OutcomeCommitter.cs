using Marten;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Events;
using Pipeline.Infrastructure.Store;

namespace Pipeline.Delivery;

/// <summary>
/// Appends the outcomes of delivery attempts; attempts that end together share one
/// transaction (<see cref="GroupCommitService{T}"/>), each still guarded by its stream's
/// expected version, so that a conflict fails only its own attempt. A bounce the attempt made
/// is stored and queued in the same transaction: the failure and its report to the sender are
/// recorded together or not at all.
/// </summary>
public sealed class OutcomeCommitter(IDocumentStore store, RawMessageStore raw, ILogger<OutcomeCommitter> log)
    : GroupCommitService<OutcomeCommitter.Outcome>(log)
{
    /// <summary>One attempt's events: the message's, which leave its stream at <paramref name="ExpectedVersion"/>, and its connections'.</summary>
    public sealed record Outcome(string MessageId, long ExpectedVersion, object[] Events, IReadOnlyDictionary<string, List<object>> Connections,
        Bounce? Bounce);

    /// <summary>A bounce to queue: its <c>msg:received</c> and its bytes.</summary>
    public sealed record Bounce(MessageReceived Received, byte[] Data);

    /// <summary>Appends one attempt's events; throws when it could not, and then nothing of it was stored.</summary>
    public Task CommitAsync(string messageId, long expectedVersion, object[] events,
        IReadOnlyDictionary<string, List<object>> connections, Bounce? bounce, CancellationToken cancellationToken) =>
        SubmitAsync(new Outcome(messageId, expectedVersion, events, connections, bounce), cancellationToken);

    /// <inheritdoc />
    protected override async Task SaveAsync(IReadOnlyList<Outcome> batch)
    {
        await using var session = store.LightweightSession();
        foreach (var outcome in batch)
        {
            session.Events.Append(outcome.MessageId, outcome.ExpectedVersion, outcome.Events);
            foreach (var (connectionId, events) in outcome.Connections)
                session.Events.Append(connectionId, events.ToArray());
            if (outcome.Bounce is { } bounce)
            {
                raw.Add(session, bounce.Received.MessageId, bounce.Data);
                session.Events.StartStream(bounce.Received.MessageId, bounce.Received);
            }
        }

        await session.SaveChangesAsync().ConfigureAwait(false);
    }
}
