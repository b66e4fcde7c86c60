using Marten;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Events;
using Pipeline.Infrastructure.Store;

namespace Pipeline.Delivery;

/// <summary>
/// Appends the outcomes of delivery attempts; attempts that end together share one
/// transaction (<see cref="GroupCommitService{T}"/>), each still guarded by its stream's
/// expected version, so that a conflict fails only its own attempt. The reports the attempt
/// made for the sender (a bounce, a delay warning, a success notification) are stored and
/// queued in the same transaction: an outcome and its reports are recorded together or not at
/// all, and a report whose attempt conflicts is never sent.
/// </summary>
public sealed class OutcomeCommitter(IDocumentStore store, RawMessageStore raw, ILogger<OutcomeCommitter> log)
    : GroupCommitService<OutcomeCommitter.Outcome>(log)
{
    /// <summary>One attempt's events: the message's, which leave its stream at <paramref name="ExpectedVersion"/>, and its connections'.</summary>
    public sealed record Outcome(string MessageId, long ExpectedVersion, object[] Events, IReadOnlyDictionary<string, List<object>> Connections,
        IReadOnlyList<Bounce> Reports);

    /// <summary>A report to the sender to queue (a bounce or another delivery status notification): its <c>msg:received</c> and its bytes.</summary>
    public sealed record Bounce(MessageReceived Received, byte[] Data);

    /// <summary>Appends one attempt's events; throws when it could not, and then nothing of it was stored.</summary>
    public Task CommitAsync(string messageId, long expectedVersion, object[] events,
        IReadOnlyDictionary<string, List<object>> connections, IReadOnlyList<Bounce> reports, CancellationToken cancellationToken) =>
        SubmitAsync(new Outcome(messageId, expectedVersion, events, connections, reports), cancellationToken);

    /// <inheritdoc />
    protected override async Task SaveAsync(IReadOnlyList<Outcome> batch)
    {
        await using var session = store.LightweightSession();
        foreach (var outcome in batch)
        {
            session.Events.Append(outcome.MessageId, outcome.ExpectedVersion, outcome.Events);
            foreach (var (connectionId, events) in outcome.Connections)
                session.Events.Append(connectionId, events.ToArray());
            foreach (var bounce in outcome.Reports)
            {
                raw.Add(session, bounce.Received.MessageId, bounce.Data);
                session.Events.StartStream(bounce.Received.MessageId, bounce.Received);
            }
        }

        await session.SaveChangesAsync().ConfigureAwait(false);
    }
}
