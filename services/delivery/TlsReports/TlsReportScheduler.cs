using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Infrastructure.Reports;

namespace Pipeline.Delivery.TlsReports;

/// <summary>
/// Makes the TLS reports (RFC 8460) of each period once it has ended: counts its sessions from
/// the event store, builds one report per policy domain and sends each where the domain asks.
/// Every delivery process runs it; the claims make each report go once. When every domain of a
/// period is settled the period itself is claimed (kind <c>tls-rpt-period</c>), so that the
/// other processes do not count it again; a domain whose TLSRPT lookup failed keeps the period
/// open, and is tried again at the next run.
/// </summary>
public sealed class TlsReportScheduler(TlsSessionCounts counts, TlsReportSender sender, ReportSubmitter submitter, DeliveryOptions options,
    TimeProvider clock, ILogger<TlsReportScheduler> log) : BackgroundService
{
    /// <summary>The claim kind of a period whose reports are all settled.</summary>
    public const string PeriodClaimKind = "tls-rpt-period";

    private DateTimeOffset _settled = DateTimeOffset.MinValue;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = options.TlsReports.Period;
        // Often enough that a report leaves soon after its period's grace; never more than once a second.
        var tick = TimeSpan.FromTicks(Math.Clamp(period.Ticks / 10, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromMinutes(1).Ticks));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunAsync(TlsReportPeriods.LastCompleted(clock.GetUtcNow(), period), stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning(e, "TLS reports could not be made; trying again in {Tick}", tick);
            }

            try
            {
                await Task.Delay(tick, clock, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Makes the reports of the period <paramref name="span"/> unless they are settled.</summary>
    public async Task RunAsync((DateTimeOffset Begin, DateTimeOffset End) span, CancellationToken cancellationToken)
    {
        var (begin, end) = span;
        if (_settled == begin || await submitter.Claims.IsClaimedAsync(PeriodClaimKind, "*", begin, cancellationToken).ConfigureAwait(false))
        {
            _settled = begin;
            return;
        }

        var reports = TlsReportTally.Build(await counts.ReadAsync(begin, end, cancellationToken).ConfigureAwait(false), sender.Reporter, begin, end);
        var open = false;
        foreach (var report in reports)
            open |= await sender.SendAsync(report, cancellationToken).ConfigureAwait(false) == TlsReportOutcome.LookupFailed;
        if (open)
            return;
        await submitter.ClaimOnlyAsync(new ReportClaim(PeriodClaimKind, "*", begin, end, "*"), cancellationToken).ConfigureAwait(false);
        _settled = begin;
    }
}
