using System.Text.Json;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Pipeline.Events.History;

namespace Pipeline.Events.Http;

/// <summary>The message history endpoints of the HTTP API.</summary>
public static class MessageEndpoints
{
    /// <summary>Maps <c>GET /messages/{id}</c>, <c>GET /messages/{id}/events</c> and <c>GET /connections/{id}/events</c>.</summary>
    public static void Map(WebApplication app)
    {
        app.MapGet("/health", () => Results.Ok(new { status = "ok" }));

        app.MapGet("/messages/{id}", async (string id, IQuerySession session, CancellationToken ct) =>
        {
            var stream = await session.Events.FetchStreamAsync(id, token: ct);
            var summary = MessageSummary.From(stream.Select(e => e.Data));
            return summary is null ? Results.NotFound(new { error = $"no message {id}" }) : Results.Ok(summary);
        });

        app.MapGet("/messages/{id}/events", (string id, IQuerySession session, IOptions<JsonOptions> json, CancellationToken ct) =>
            HistoryAsync(id, "message", session, json.Value.SerializerOptions, ct));

        app.MapGet("/connections/{id}/events", (string id, IQuerySession session, IOptions<JsonOptions> json, CancellationToken ct) =>
            HistoryAsync(id, "connection", session, json.Value.SerializerOptions, ct));
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
