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
    /// <summary>Maps <c>GET /messages/{id}</c> and <c>GET /messages/{id}/events</c>.</summary>
    public static void Map(WebApplication app)
    {
        app.MapGet("/health", () => Results.Ok(new { status = "ok" }));

        app.MapGet("/messages/{id}", async (string id, IQuerySession session, CancellationToken ct) =>
        {
            var stream = await session.Events.FetchStreamAsync(id, token: ct);
            var summary = MessageSummary.From(stream.Select(e => e.Data));
            return summary is null ? Results.NotFound(new { error = $"no message {id}" }) : Results.Ok(summary);
        });

        app.MapGet("/messages/{id}/events", async (string id, IQuerySession session, IOptions<JsonOptions> json, CancellationToken ct) =>
        {
            var stream = await session.Events.FetchStreamAsync(id, token: ct);
            return stream.Count == 0
                ? Results.NotFound(new { error = $"no message {id}" })
                : Results.Ok(stream.Select(e => HistoryEntry.From(e, json.Value.SerializerOptions)));
        });
    }
}
