using JasperFx.Events.Daemon;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Pipeline.Events.Projections;
using Pipeline.Events.Replay;
using Pipeline.Infrastructure.Configuration;

namespace Pipeline.Events.Http;

/// <summary>
/// The projections and replay: <c>GET /projections</c> (each projection's position in the
/// log), <c>POST /projections/{name}/rebuild</c>, <c>POST /replay</c>, and
/// <c>GET /stats/hourly</c>, the counters projection.
/// </summary>
public static class ProjectionEndpoints
{
    private static readonly TimeSpan RebuildTimeout = TimeSpan.FromMinutes(30);

    /// <summary>Maps the endpoints.</summary>
    public static void Map(WebApplication app)
    {
        app.MapGet("/projections", async (NpgsqlDataSource database, StoreSettings store, CancellationToken ct) =>
        {
            await using var command = database.CreateCommand($"select name, last_seq_id from {store.Schema}.mt_event_progression order by name");
            var positions = new Dictionary<string, long>(StringComparer.Ordinal);
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                    positions[reader.GetString(0)] = reader.GetInt64(1);
            }

            // The five run together, so they stand at the same place.
            var sequence = positions.Where(p => p.Key.StartsWith(ProjectionSchema.CompositeName + ":", StringComparison.Ordinal))
                .Select(p => p.Value).DefaultIfEmpty().Max();
            return Results.Ok(new
            {
                highWaterMark = positions.GetValueOrDefault("HighWaterMark"),
                projections = ProjectionSchema.ProjectionNames.Select(name => new { name, sequence }),
            });
        })
        .WithSummary("Each projection and the global sequence it has reached");

        // The projections are built together in one pass over the log, and so rebuilt.
        app.MapPost("/projections/{name}/rebuild", async (string name, IProjectionCoordinator coordinator, CancellationToken ct) =>
        {
            if (name != "all" && !ProjectionSchema.ProjectionNames.Contains(name))
                return Results.NotFound(new { error = $"no projection {name}; known: all, {string.Join(", ", ProjectionSchema.ProjectionNames)}" });
            await coordinator.DaemonForMainDatabase().RebuildProjectionAsync(ProjectionSchema.CompositeName, RebuildTimeout, ct);
            return Results.Ok(new { rebuilt = ProjectionSchema.ProjectionNames });
        })
        .WithSummary("Admin: rebuild the projections from the whole log (all five together, in one pass)")
        .Produces(StatusCodes.Status404NotFound);

        app.MapPost("/replay", async (ReplayRequest request, Replayer replayer, CancellationToken ct) =>
        {
            if (replayer.Validate(request) is { } error)
                return Results.BadRequest(new { error });
            return Results.Ok(await replayer.ReplayAsync(request, ct));
        })
        .WithSummary("Admin: send a window of history again, marked as replayed, to a webhook subscription or the bus")
        .Produces<ReplayResult>()
        .Produces(StatusCodes.Status400BadRequest);

        app.MapGet("/stats/hourly", async (DateTimeOffset? since, DateTimeOffset? until, string? names, string? domain, IQuerySession session,
            CancellationToken ct) =>
        {
            var from = since ?? DateTimeOffset.UtcNow.AddHours(-24);
            var query = session.Query<EventCount>().Where(c => c.Hour >= from);
            if (until is { } to)
                query = query.Where(c => c.Hour < to);
            if (domain is not null)
                query = query.Where(c => c.Domain == domain);
            if (names is not null)
            {
                var wanted = EventEndpoints.Names(names).ToArray();
                query = query.Where(c => wanted.Contains(c.Name));
            }

            return Results.Ok(await query.OrderBy(c => c.Hour).ThenBy(c => c.Name).ThenBy(c => c.Domain).Take(10_000).ToListAsync(ct));
        })
        .WithSummary("Events per hour, name and recipient domain")
        .Produces<EventCount[]>();
    }
}
