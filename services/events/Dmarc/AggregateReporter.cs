using Microsoft.Extensions.Logging;
using Pipeline.Infrastructure.Dns;
using Pipeline.Infrastructure.Reports;

namespace Pipeline.Events.Dmarc;

/// <summary>What sending one aggregate report did.</summary>
/// <param name="Domain">The policy domain.</param>
/// <param name="Period">The period.</param>
/// <param name="ReportId">The report's id.</param>
/// <param name="Messages">How many messages it counts (0: there was nothing to report).</param>
/// <param name="MessageId">The id of the queued report, or null when none was queued.</param>
/// <param name="Destinations">The addresses it went to.</param>
/// <param name="AlreadySent">True when the report had been made before (by this or another process): nothing was sent again.</param>
public sealed record AggregateSendResult(string Domain, ReportPeriod Period, string ReportId, int Messages, string? MessageId,
    IReadOnlyList<string> Destinations, bool AlreadySent);

/// <summary>
/// Makes the aggregate report of a policy domain for a period from the history and sends it
/// through the pipeline to the record's <c>rua</c> destinations that take it (§7.1, size
/// limits), at most once per (domain, period) across all processes (<see cref="ReportSubmitter"/>).
/// </summary>
public sealed class AggregateReporter(DmarcHistory history, ReportSubmitter submitter, IDnsResolver dns, DmarcReportOptions options,
    ILogger<AggregateReporter> log)
{
    /// <summary>The claim kind of aggregate reports.</summary>
    public const string Kind = "dmarc-aggregate";

    /// <summary>The report, without sending it; null when no message of the domain was evaluated in the period.</summary>
    public async Task<AggregateReport?> BuildAsync(string domain, ReportPeriod period, CancellationToken cancellationToken)
    {
        domain = domain.TrimEnd('.').ToLowerInvariant();
        var received = await history.ReceivedAsync(period, domain, cancellationToken).ConfigureAwait(false);
        return AggregateReport.Build(domain, period, received.Select(ReportedMessage.Of).OfType<ReportedMessage>().ToList());
    }

    /// <summary>Makes and sends the report of <paramref name="domain"/> for <paramref name="period"/>, unless it was sent before.</summary>
    public async Task<AggregateSendResult> SendAsync(string domain, ReportPeriod period, CancellationToken cancellationToken)
    {
        domain = domain.TrimEnd('.').ToLowerInvariant();
        var reportId = AggregateReport.ReportIdFor(domain, period);
        if (await submitter.Claims.IsClaimedAsync(Kind, domain, period.Start, cancellationToken).ConfigureAwait(false))
            return new AggregateSendResult(domain, period, reportId, 0, null, [], AlreadySent: true);
        var report = await BuildAsync(domain, period, cancellationToken).ConfigureAwait(false);
        if (report is null)
            return new AggregateSendResult(domain, period, reportId, 0, null, [], AlreadySent: false);

        var xml = AggregateReportXml.Write(report, options);
        var attachment = new ReportAttachment(AggregateReportXml.FileName(report, options), "application/gzip", AggregateReportXml.Gzip(xml));
        var claim = new ReportClaim(Kind, domain, period.Start, period.End, domain);
        // The size limit is the report's, as sent: compose once for the limit check, again for its To.
        var text = $"This is an aggregate DMARC report (RFC 7489) from {options.OrgName} for {domain}, " +
            $"{period.Start:u} to {period.End:u}: {report.Messages} message(s).\r\n";
        var probe = ReportMail.Compose(options.Email, [options.Email], AggregateReportXml.Subject(report, options), text, attachment, DateTimeOffset.UtcNow);
        var destinations = await ReportDestination.AcceptingAsync(report.Policy.Rua, domain, probe.Length, dns, cancellationToken).ConfigureAwait(false);
        if (destinations.Count == 0)
        {
            log.LogInformation("No rua destination of {Domain} takes its aggregate report {ReportId}", domain, reportId);
            var claimed = await submitter.ClaimOnlyAsync(claim, cancellationToken).ConfigureAwait(false);
            return new AggregateSendResult(domain, period, reportId, report.Messages, null, [], AlreadySent: !claimed);
        }

        var to = destinations.Select(d => d.Address).ToList();
        var message = ReportMail.Compose(options.Email, to, AggregateReportXml.Subject(report, options), text, attachment, DateTimeOffset.UtcNow);
        var id = await submitter.SubmitAsync(claim, "", to, message, cancellationToken).ConfigureAwait(false);
        return new AggregateSendResult(domain, period, reportId, report.Messages, id, id is null ? [] : to, AlreadySent: id is null);
    }

    /// <summary>
    /// Sends the reports due at <paramref name="now"/>: of each policy domain with messages in
    /// the configured period that ended last, the domain's period (longer when its <c>ri=</c>
    /// asks) when that ended then too; and the same for the period before, in case the last
    /// run missed it. Reports made before are skipped by their claims.
    /// </summary>
    public async Task<IReadOnlyList<AggregateSendResult>> SendDueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var results = new List<AggregateSendResult>();
        var current = ReportPeriod.Containing(now, options.Interval);
        for (var back = 1; back <= 2; back++)
        {
            var ended = new ReportPeriod(current.Start - options.Interval * back, current.Start - options.Interval * (back - 1));
            var received = await history.ReceivedAsync(ended, null, cancellationToken).ConfigureAwait(false);
            foreach (var domain in received.GroupBy(r => r.Dmarc!.PolicyDomain, StringComparer.Ordinal))
            {
                var interval = ReportPeriod.IntervalFor(options.Interval, domain.Last().Dmarc!.ReportInterval);
                var period = ReportPeriod.Containing(ended.Start, interval);
                if (period.End != ended.End)
                    continue;
                try
                {
                    results.Add(await SendAsync(domain.Key, period, cancellationToken).ConfigureAwait(false));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning(e, "Could not send the aggregate DMARC report of {Domain} for {Start:u}; the next run tries again", domain.Key, period.Start);
                }
            }
        }

        return results;
    }
}
