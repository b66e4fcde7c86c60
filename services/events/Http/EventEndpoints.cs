using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Pipeline.Events.History;

namespace Pipeline.Events.Http;

/// <summary>
/// The event log in global order: <c>GET /events</c>, paged by sequence, and
/// <c>GET /events/stream</c>, Server-Sent Events whose <c>id:</c> is the sequence, so that a
/// client cut off resumes with <c>Last-Event-ID</c> and misses nothing and sees nothing twice.
/// </summary>
public static class EventEndpoints
{
    private const int MaxPage = 1000;

    /// <summary>Maps the endpoints.</summary>
    public static void Map(WebApplication app)
    {
        app.MapGet("/events", async (long? after, string? names, int? limit, EventFeed feed, IOptions<JsonOptions> json, CancellationToken ct) =>
        {
            if (limit is < 1 or > MaxPage)
                return Results.BadRequest(new { error = $"limit must be between 1 and {MaxPage}" });
            var (events, next) = await feed.ReadAsync(after ?? 0, Names(names), limit ?? 100, ct);
            return Results.Ok(new EventPage(events.Select(e => HistoryEntry.From(e, json.Value.SerializerOptions)), next));
        })
        .WithSummary("The whole log in global order, paged by sequence, filtered by names")
        .Produces<EventPage>()
        .Produces(StatusCodes.Status400BadRequest);

        app.MapGet("/events/last", async (EventFeed feed, CancellationToken ct) => Results.Ok(new { sequence = await feed.LastAsync(ct) }))
        .WithSummary("The sequence of the last event stored");

        app.MapGet("/events/stream", async (HttpContext http, long? after, string? names, string? domain, EventFeed feed,
            IOptions<JsonOptions> json, CancellationToken ct) =>
        {
            var cursor = long.TryParse(http.Request.Headers["Last-Event-ID"], out var last) ? last : after ?? 0;
            var wanted = Names(names);
            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-cache";
            await http.Response.Body.FlushAsync(ct);
            var idleSince = DateTimeOffset.UtcNow;
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    var (events, next) = await feed.ReadAsync(cursor, wanted, 500, ct);
                    var text = new StringBuilder();
                    foreach (var e in events)
                    {
                        var entry = HistoryEntry.From(e, json.Value.SerializerOptions);
                        if (domain is null || Concerns(entry.Data, domain))
                            text.Append("id: ").Append(e.Sequence).Append("\nevent: ").Append(entry.Name).Append("\ndata: ")
                                .Append(JsonSerializer.Serialize(entry, json.Value.SerializerOptions)).Append("\n\n");
                    }

                    cursor = next;
                    if (text.Length == 0 && DateTimeOffset.UtcNow - idleSince > TimeSpan.FromSeconds(15))
                        text.Append(": keep-alive\n\n");
                    if (text.Length > 0)
                    {
                        idleSince = DateTimeOffset.UtcNow;
                        await http.Response.WriteAsync(text.ToString(), ct);
                        await http.Response.Body.FlushAsync(ct);
                    }

                    if (events.Count == 0)
                        await Task.Delay(250, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The client went away.
            }
        })
        .WithSummary("The log live as Server-Sent Events (id: the sequence), resumed with Last-Event-ID, filtered by names and domain")
        .Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
    }

    /// <summary>The event names of a <c>names=</c> parameter (comma-separated); empty when none.</summary>
    internal static HashSet<string> Names(string? names) =>
        names is null ? [] : names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);

    // True when the event names a recipient (or, for msg:received, any recipient) in the domain.
    private static bool Concerns(JsonElement data, string domain)
    {
        if (data.TryGetProperty("recipient", out var recipient))
            return Matches(recipient);
        if (data.TryGetProperty("recipients", out var recipients) && recipients.ValueKind == JsonValueKind.Array)
            return recipients.EnumerateArray().Any(Matches);
        return false;

        bool Matches(JsonElement r) => r.TryGetProperty("domain", out var d) && string.Equals(d.GetString(), domain, StringComparison.OrdinalIgnoreCase);
    }
}
