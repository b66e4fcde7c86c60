using System.Text.Json;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Pipeline.Events.History;
using Pipeline.Events.Projections;

namespace Pipeline.Events.Http;

/// <summary>The message and connection endpoints of the HTTP API.</summary>
public static class MessageEndpoints
{
    private const int MaxPage = 1000;

    /// <summary>
    /// Maps <c>GET /messages</c> (search), <c>GET /messages/{id}</c>, <c>GET /messages/{id}/events</c>,
    /// <c>GET /connections/{id}</c> and <c>GET /connections/{id}/events</c>.
    /// </summary>
    public static void Map(WebApplication app)
    {
        app.MapGet("/health", () => Results.Ok(new { status = "ok" }))
        .WithSummary("Liveness: {\"status\":\"ok\"} while the process runs; needs no token");

        app.MapGet("/messages", SearchAsync)
        .WithSummary("Searches message summaries by sender, recipient, status and reception time, paged by sequence")
        .Produces<MessageSearchPage>()
        .Produces(StatusCodes.Status400BadRequest);

        // A message's own page folds its stream on the spot: always current, where searches
        // read the projection, which follows the log by a moment.
        app.MapGet("/messages/{id}", async (string id, IQuerySession session, CancellationToken ct) =>
        {
            var stream = await session.Events.FetchStreamAsync(id, token: ct);
            var summary = MessageSummary.From(stream);
            return summary is null ? Results.NotFound(new { error = $"no message {id}" }) : Results.Ok(summary);
        })
        .WithSummary("A message's summary, folded from its stream")
        .Produces<MessageSummary>()
        .Produces(StatusCodes.Status404NotFound);

        app.MapGet("/messages/{id}/events", (string id, IQuerySession session, IOptions<JsonOptions> json, CancellationToken ct) =>
            HistoryAsync(id, "message", session, json.Value.SerializerOptions, ct))
        .WithSummary("A message's history, in order")
        .Produces<HistoryEntry[]>()
        .Produces(StatusCodes.Status404NotFound);

        app.MapGet("/messages/{id}/recipients", async (string id, IQuerySession session, CancellationToken ct) =>
        {
            var recipients = await session.Query<RecipientDelivery>().Where(r => r.MessageId == id).ToListAsync(ct);
            return recipients.Count == 0 ? Results.NotFound(new { error = $"no message {id}" }) : Results.Ok(recipients);
        })
        .WithSummary("Each recipient's delivery history")
        .Produces<RecipientDelivery[]>()
        .Produces(StatusCodes.Status404NotFound);

        app.MapGet("/connections/{id}", async (string id, IQuerySession session, CancellationToken ct) =>
        {
            var summary = ConnectionSummary.From(await session.Events.FetchStreamAsync(id, token: ct));
            return summary is null ? Results.NotFound(new { error = $"no connection {id}" }) : Results.Ok(summary);
        })
        .WithSummary("An SMTP connection's summary, folded from its stream")
        .Produces<ConnectionSummary>()
        .Produces(StatusCodes.Status404NotFound);

        app.MapGet("/connections/{id}/events", (string id, IQuerySession session, IOptions<JsonOptions> json, CancellationToken ct) =>
            HistoryAsync(id, "connection", session, json.Value.SerializerOptions, ct))
        .WithSummary("An SMTP connection's history, in order")
        .Produces<HistoryEntry[]>()
        .Produces(StatusCodes.Status404NotFound);
    }

    // GET /messages?sender=&recipient=&status=&since=&until=&limit=&after=: summaries in
    // reception order, paged by the sequence of their msg:received.
    private static async Task<IResult> SearchAsync(string? sender, string? recipient, string? status, DateTimeOffset? since,
        DateTimeOffset? until, int? limit, long? after, IQuerySession session, CancellationToken ct)
    {
        if (limit is < 1 or > MaxPage)
            return Results.BadRequest(new { error = $"limit must be between 1 and {MaxPage}" });
        if (status is not (null or "queued" or "deferred" or "completed"))
            return Results.BadRequest(new { error = "status is one of queued, deferred, completed" });

        IQueryable<MessageSummary> query = session.Query<MessageSummary>();
        if (recipient is not null)
        {
            // The recipient's own documents name its messages: an index lookup, not a scan.
            var ids = await session.Query<RecipientDelivery>().Where(r => r.Address == recipient).Select(r => r.MessageId).ToListAsync(ct);
            if (ids.Count == 0)
                return Results.Ok(new MessageSearchPage([], null));
            var wanted = ids.ToArray();
            query = query.Where(m => wanted.Contains(m.Id));
        }

        if (sender is not null)
            query = query.Where(m => m.Sender == sender);
        if (status is not null)
            query = query.Where(m => m.Status == status);
        if (since is { } from)
            query = query.Where(m => m.ReceivedAt >= from);
        if (until is { } to)
            query = query.Where(m => m.ReceivedAt < to);
        if (after is { } cursor)
            query = query.Where(m => m.Sequence > cursor);
        var take = limit ?? 100;
        var page = await query.OrderBy(m => m.Sequence).Take(take).ToListAsync(ct);
        return Results.Ok(new MessageSearchPage(page, page.Count == take ? page[^1].Sequence : null));
    }

    // A stream's events in order, or 404 when it has none.
    private static async Task<IResult> HistoryAsync(string id, string what, IQuerySession session, JsonSerializerOptions json, CancellationToken ct)
    {
        var stream = await session.Events.FetchStreamAsync(id, token: ct);
        return stream.Count == 0
            ? Results.NotFound(new { error = $"no {what} {id}" })
            : Results.Ok(stream.Select(e => HistoryEntry.From(e, json)));
    }
}
