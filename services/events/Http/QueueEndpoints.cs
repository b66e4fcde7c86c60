using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pipeline.Contracts.Queue;

namespace Pipeline.Events.Http;

/// <summary>
/// Queue administration: <c>GET /queue</c> (Exim's <c>-bp</c>), and an operator's
/// <c>POST /messages/{id}/retry</c> (<c>-M</c>) and <c>POST /messages/{id}/cancel</c>
/// (<c>-Mg</c>), which go over the bus to any delivery worker.
/// </summary>
public static class QueueEndpoints
{
    private const int MaxPage = 1000;
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Maps the endpoints.</summary>
    public static void Map(WebApplication app)
    {
        app.MapGet("/queue", async (int? limit, QueueListing queue, CancellationToken ct) =>
        {
            if (limit is < 1 or > MaxPage)
                return Results.BadRequest(new { error = $"limit must be between 1 and {MaxPage}" });
            return Results.Ok(await queue.ListAsync(limit ?? 100, ct));
        })
        .WithSummary("The messages not yet complete, soonest due first (exim -bp)")
        .Produces<QueuePage>();

        app.MapPost("/messages/{id}/retry", (string id, IRequestClient<RetryMessage> client, CancellationToken ct) =>
            SendAsync(client, new RetryMessage(id), ct))
        .WithSummary("Admin: attempt a queued message now, past its and its hosts' retry times (exim -M)")
        .Produces<QueueCommandResult>()
        .Produces<QueueCommandResult>(StatusCodes.Status404NotFound)
        .Produces<QueueCommandResult>(StatusCodes.Status409Conflict);

        app.MapPost("/messages/{id}/cancel", (string id, HttpContext http, IRequestClient<CancelMessage> client, CancellationToken ct) =>
            SendAsync(client, new CancelMessage(id, ApiAuthentication.Caller(http)), ct))
        .WithSummary("Admin: give a queued message up; the sender gets a bounce (exim -Mg)")
        .Produces<QueueCommandResult>()
        .Produces<QueueCommandResult>(StatusCodes.Status404NotFound)
        .Produces<QueueCommandResult>(StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> SendAsync<T>(IRequestClient<T> client, T command, CancellationToken ct) where T : class
    {
        try
        {
            var response = await client.GetResponse<QueueCommandResult>(command, ct, RequestTimeout.After(s: (int)CommandTimeout.TotalSeconds));
            var result = response.Message;
            return result.Outcome switch
            {
                QueueCommandOutcome.Done => Results.Ok(result),
                QueueCommandOutcome.Busy => Results.Conflict(result),
                _ => Results.NotFound(result),
            };
        }
        catch (RequestTimeoutException)
        {
            return Results.Json(new { error = "no delivery worker answered in time" }, statusCode: StatusCodes.Status504GatewayTimeout);
        }
    }
}
