using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Pipeline.Events.History;
using Pipeline.Events.Http;
using Pipeline.Infrastructure.Configuration;
using Pipeline.Infrastructure.Store;

namespace Pipeline.Events.Webhooks;

/// <summary>
/// Delivers the event log to each <c>Events:Webhooks</c> subscription, at least once and in
/// global order (so in order per message): one event per POST, signed, retried with backoff
/// (1 s doubling to a minute) until the receiver answers 2xx, the subscription's cursor stored
/// in PostgreSQL after each, so that a restart or a long outage of the receiver loses nothing.
/// Of several events processes one dispatches at a time (<see cref="AdvisoryLeader"/>): the
/// others wait to take over, from the stored cursor, when it dies.
/// </summary>
public sealed class WebhookDispatcher(
    EventsOptions options, EventFeed feed, NpgsqlDataSource database, StoreSettings store, IOptions<JsonOptions> json,
    TimeProvider clock, ILogger<WebhookDispatcher> log) : BackgroundService
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        options.Webhooks.Count == 0
            ? Task.CompletedTask
            : new AdvisoryLeader(database, "webhooks", store.Schema, log).RunAsync(
                leading => Task.WhenAll(options.Webhooks.Select(w => RunAsync(w, leading))), stoppingToken);

    private async Task RunAsync(WebhookOptions webhook, CancellationToken stoppingToken)
    {
        var names = webhook.Names.ToHashSet(StringComparer.Ordinal);
        try
        {
            var cursor = await LoadCursorAsync(webhook.Key, stoppingToken).ConfigureAwait(false);
            while (!stoppingToken.IsCancellationRequested)
            {
                var (events, next) = await feed.ReadAsync(cursor, names, 100, stoppingToken).ConfigureAwait(false);
                foreach (var e in events)
                {
                    await PostUntilTakenAsync(webhook, e.Sequence, HistoryName(e), Body(e), false, stoppingToken).ConfigureAwait(false);
                    cursor = e.Sequence;
                    await SaveCursorAsync(webhook.Key, cursor, stoppingToken).ConfigureAwait(false);
                }

                if (next > cursor)
                {
                    cursor = next;
                    await SaveCursorAsync(webhook.Key, cursor, stoppingToken).ConfigureAwait(false);
                }

                if (events.Count == 0)
                    await Task.Delay(TimeSpan.FromMilliseconds(250), stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the cursor is where the last delivered event left it.
        }
    }

    private static string HistoryName(JasperFx.Events.IEvent e) => Pipeline.Contracts.LifecycleEvents.NameOf(e.EventType);

    /// <summary>
    /// Sends one event of a replay to <paramref name="webhook"/>: signed as any other, marked
    /// <c>X-Pipeline-Replayed: true</c>, retried until taken; the subscription's cursor stays where it is.
    /// </summary>
    public Task ReplayAsync(WebhookOptions webhook, JasperFx.Events.IEvent e, CancellationToken cancellationToken) =>
        PostUntilTakenAsync(webhook, e.Sequence, HistoryName(e), Body(e), true, cancellationToken);

    // An event as a request's body: one entry of GET /events.
    private string Body(JasperFx.Events.IEvent e) =>
        JsonSerializer.Serialize(HistoryEntry.From(e, json.Value.SerializerOptions), json.Value.SerializerOptions);

    private async Task PostUntilTakenAsync(WebhookOptions webhook, long sequence, string name, string body, bool replayed, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url)
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("X-Pipeline-Event", name);
            request.Headers.Add("X-Pipeline-Sequence", sequence.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add("X-Pipeline-Signature", $"t={timestamp},v1={Sign(webhook.Secret, timestamp, body)}");
            if (replayed)
                request.Headers.Add("X-Pipeline-Replayed", "true");
            try
            {
                using var response = await _http.SendAsync(request, stoppingToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                    return;
                log.LogWarning("Webhook {Webhook} answered {Status} to event {Sequence}; retrying in {Delay}", webhook.Key, (int)response.StatusCode, sequence, delay);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                log.LogWarning("Webhook {Webhook} did not take event {Sequence} ({Error}); retrying in {Delay}", webhook.Key, sequence, e.Message, delay);
            }

            await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            delay = delay * 2 > TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : delay * 2;
        }
    }

    /// <summary>The signature: hex HMAC-SHA256 over <c>timestamp + "." + body</c> with the subscription's secret.</summary>
    public static string Sign(string secret, string timestamp, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));

    private async Task<long> LoadCursorAsync(string key, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"select sequence from {store.Schema}.{WebhookSchema.Table} where subscription = $1");
        command.Parameters.AddWithValue(key);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long sequence ? sequence : 0;
    }

    private async Task SaveCursorAsync(string key, long sequence, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"insert into {store.Schema}.{WebhookSchema.Table} (subscription, sequence) values ($1, $2) " +
            "on conflict (subscription) do update set sequence = excluded.sequence");
        command.Parameters.AddWithValue(key);
        command.Parameters.AddWithValue(sequence);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }
}
