using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Events;
using Pipeline.Infrastructure.Dns;
using Pipeline.Infrastructure.Reports;
using Pipeline.Infrastructure.Store;

namespace Pipeline.Events.Dmarc;

/// <summary>
/// Sends the failure report of a received message when one is due: the data ACL enabled it
/// (<c>control = dmarc_enable_forensic</c>, as Exim wants), the record has <c>ruf</c>
/// destinations that take it (§7.1), its <c>fo=</c> asks for this failure, and the policy
/// domain has had fewer than <see cref="DmarcReportOptions.FailureReportsPerHour"/> in the last
/// hour. Once per message across all processes (claim kind <see cref="Kind"/>, keyed by the message id).
/// </summary>
public sealed class FailureReporter(ReportSubmitter submitter, RawMessageStore raw, IDnsResolver dns, DmarcReportOptions options, TimeProvider clock,
    ILogger<FailureReporter> log)
{
    /// <summary>The claim kind of failure reports.</summary>
    public const string Kind = "dmarc-failure";

    /// <summary>True when <paramref name="received"/> calls for a failure report, before the rate limit and the destinations.</summary>
    public static bool Due(MessageReceived received) =>
        received.Dmarc is { ForensicEnabled: true, Ruf.Count: > 0 } dmarc && FailureOptions.Wants(dmarc);

    /// <summary>How far back the reports that count against <see cref="DmarcReportOptions.FailureReportsPerHour"/> go.</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromHours(1);

    /// <summary>
    /// The per-domain rate limit: true when a policy domain that got <paramref name="reportsInWindow"/>
    /// failure reports in the last <see cref="RateWindow"/> may get one more under a limit of
    /// <paramref name="perHour"/> (0: none at all).
    /// </summary>
    public static bool WithinRateLimit(long reportsInWindow, int perHour) => reportsInWindow < perHour;

    /// <summary>Sends the report of <paramref name="received"/> when due; returns the report's message id, or null when none was sent.</summary>
    public async Task<string?> ReportAsync(MessageReceived received, CancellationToken cancellationToken)
    {
        if (!Due(received))
            return null;
        var dmarc = received.Dmarc!;
        if (await submitter.Claims.IsClaimedAsync(Kind, received.MessageId, received.ReceivedAt, cancellationToken).ConfigureAwait(false))
            return null;
        var now = clock.GetUtcNow();
        var recent = await submitter.Claims.CountSinceAsync(Kind, dmarc.PolicyDomain, now - RateWindow, cancellationToken).ConfigureAwait(false);
        if (!WithinRateLimit(recent, options.FailureReportsPerHour))
        {
            log.LogInformation("No DMARC failure report for {MessageId}: {Domain} had {Limit} in the last hour", received.MessageId,
                dmarc.PolicyDomain, options.FailureReportsPerHour);
            return null;
        }

        var original = await raw.ReadAsync(received.MessageId, cancellationToken).ConfigureAwait(false) ?? [];
        var probe = FailureReport.Create(received, original, [options.FailureFrom], options, now);
        var destinations = await ReportDestination.AcceptingAsync(dmarc.Ruf, dmarc.PolicyDomain, probe.Length, dns, cancellationToken).ConfigureAwait(false);
        if (destinations.Count == 0)
            return null;
        var to = destinations.Select(d => d.Address).ToList();
        var report = FailureReport.Create(received, original, to, options, now);
        return await submitter.SubmitAsync(new ReportClaim(Kind, received.MessageId, received.ReceivedAt, received.ReceivedAt, dmarc.PolicyDomain),
            "", to, report, cancellationToken).ConfigureAwait(false);
    }
}
