using Marten;
using Pipeline.Contracts.Events;

namespace Pipeline.Events.Dmarc;

/// <summary>The DMARC evaluations of the history: the <c>msg:received</c> events that carry one, by the time they were received.</summary>
public sealed class DmarcHistory(IDocumentStore store)
{
    // An event is stored a little after its message was received (the commit); the window is
    // widened by this much and then cut by the received time itself.
    private static readonly TimeSpan CommitSlack = TimeSpan.FromMinutes(5);

    /// <summary>The evaluated messages received in <paramref name="period"/>, of one policy domain or of all, in the order received.</summary>
    public async Task<IReadOnlyList<MessageReceived>> ReceivedAsync(ReportPeriod period, string? policyDomain, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        // By the log's own timestamp column (the event's store time), then by the event's data.
        var from = period.Start;
        var to = period.End + CommitSlack;
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.EventTypeName == "msg:received" && e.Timestamp >= from && e.Timestamp < to)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return events.Select(e => e.Data).OfType<MessageReceived>()
            .Where(r => r.Dmarc is not null && r.ReceivedAt >= period.Start && r.ReceivedAt < period.End
                && (policyDomain is null || r.Dmarc.PolicyDomain == policyDomain))
            .OrderBy(r => r.ReceivedAt).ToList();
    }
}
