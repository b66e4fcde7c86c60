using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Pipeline.Infrastructure.Configuration;
using Pipeline.Infrastructure.Telemetry;

namespace Pipeline.Delivery.Queue;

/// <summary>
/// The queue's length and the age of its oldest message (<c>pipeline.queue.messages</c>,
/// <c>pipeline.queue.oldest_age</c>), read from <c>delivery_queue</c> every
/// <see cref="Interval"/> and kept for the exporters, so that a scrape never waits on
/// PostgreSQL. Every delivery process reports the same queue: aggregate with max, not sum.
/// </summary>
public sealed class QueueGauges : BackgroundService
{
    /// <summary>How often the queue is counted.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly NpgsqlDataSource _database;
    private readonly StoreSettings _store;
    private readonly ILogger<QueueGauges> _log;
    private long _messages;
    private double _oldestAge;
    private bool _known;

    /// <summary>Creates the gauges; they report nothing until the queue was counted once.</summary>
    public QueueGauges(NpgsqlDataSource database, StoreSettings store, ILogger<QueueGauges> log)
    {
        _database = database;
        _store = store;
        _log = log;
        PipelineTelemetry.Meter.CreateObservableGauge("pipeline.queue.messages", () => Observe(_messages), "{message}",
            "Messages in the queue: waiting for an attempt or in one");
        PipelineTelemetry.Meter.CreateObservableGauge("pipeline.queue.oldest_age", () => Observe(_oldestAge), "s",
            "Age of the oldest message in the queue, from its arrival");
    }

    private IEnumerable<Measurement<T>> Observe<T>(T value) where T : struct =>
        Volatile.Read(ref _known) ? [new Measurement<T>(value)] : [];

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var command = _database.CreateCommand(
                    "select count(*), coalesce(extract(epoch from now() - min(received_at)), 0)::float8 " +
                    $"from {_store.Schema}.{QueueSchema.Table}");
                await using var reader = await command.ExecuteReaderAsync(stoppingToken).ConfigureAwait(false);
                if (await reader.ReadAsync(stoppingToken).ConfigureAwait(false))
                {
                    Interlocked.Exchange(ref _messages, reader.GetInt64(0));
                    Interlocked.Exchange(ref _oldestAge, reader.GetDouble(1));
                    Volatile.Write(ref _known, true);
                }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                _log.LogDebug("Could not count the queue: {Error}", e.Message);
            }

            try
            {
                await Task.Delay(Interval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
