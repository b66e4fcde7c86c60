using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Pipeline.Contracts.Events;
using Pipeline.Events.Http;
using Pipeline.Infrastructure.Configuration;
using Pipeline.Infrastructure.Store;

namespace Pipeline.Events.Dmarc;

/// <summary>
/// Runs DMARC reporting in the background: the aggregate reports of the periods that ended
/// (every <see cref="DmarcReportOptions.PollInterval"/>), and the failure reports of messages as
/// their <c>msg:received</c> reaches the log.
/// It runs in the events role because both are made from the event store's history, which this
/// role owns and queries (and serves to <c>pipelinectl dmarc report</c>); the reports leave as
/// messages in the queue, which delivery takes like any other. Of several events processes one
/// leads (<see cref="AdvisoryLeader"/>) to save work; the claims make each report go once even
/// if two ran it.
/// </summary>
public sealed class DmarcReportService(DmarcReportOptions options, AggregateReporter aggregate, FailureReporter failures, EventFeed feed,
    NpgsqlDataSource database, StoreSettings store, TimeProvider clock, ILogger<DmarcReportService> log) : BackgroundService
{
    private static readonly HashSet<string> Received = ["msg:received"];

    // On start, failure reports look back this far, for messages received while no process ran
    // them; those reported before are skipped by their claims.
    private static readonly TimeSpan LookBack = TimeSpan.FromHours(1);

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        !options.Enabled
            ? Task.CompletedTask
            : new AdvisoryLeader(database, "dmarc-reports", store.Schema, log).RunAsync(
                leading => Task.WhenAll(AggregateLoopAsync(leading), FailureLoopAsync(leading)), stoppingToken);

    private async Task AggregateLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await aggregate.SendDueAsync(clock.GetUtcNow(), stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning(e, "Aggregate DMARC reports failed; trying again in {Interval}", options.PollInterval);
            }

            await Task.Delay(options.PollInterval, clock, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task FailureLoopAsync(CancellationToken stoppingToken)
    {
        var cursor = await feed.CursorAtAsync(clock.GetUtcNow() - LookBack, stoppingToken).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var (events, next) = await feed.ReadAsync(cursor, Received, 100, stoppingToken).ConfigureAwait(false);
                foreach (var e in events)
                {
                    if (e.Data is MessageReceived received && FailureReporter.Due(received))
                        await failures.ReportAsync(received, stoppingToken).ConfigureAwait(false);
                    cursor = e.Sequence;
                }

                cursor = Math.Max(cursor, next);
                if (events.Count == 0)
                    await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning(e, "DMARC failure reports failed at sequence {Sequence}; trying again", cursor);
                await Task.Delay(options.PollInterval, clock, stoppingToken).ConfigureAwait(false);
            }
        }
    }
}
