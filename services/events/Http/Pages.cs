using Pipeline.Events.History;
using Pipeline.Events.Projections;

namespace Pipeline.Events.Http;

/// <summary>A page of <c>GET /messages</c>: the summaries, and the cursor of the next page (null on the last).</summary>
public sealed record MessageSearchPage(IReadOnlyList<MessageSummary> Messages, long? Next);

/// <summary>A page of <c>GET /events</c>: the events, and the cursor to read on from.</summary>
public sealed record EventPage(IEnumerable<HistoryEntry> Events, long Next);

/// <summary><c>GET /queue</c>: how many messages are queued, and the first of them.</summary>
public sealed record QueuePage(int Count, IReadOnlyList<QueueEntry> Messages);
