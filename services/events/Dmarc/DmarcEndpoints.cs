using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Pipeline.Events.Dmarc;

/// <summary>
/// <c>GET /dmarc/aggregate?domain=D[&amp;begin=S&amp;end=S]</c>: the aggregate report of a policy
/// domain for a period (seconds since 1970; by default the configured period that ended last),
/// with its XML, not sent. <c>POST</c> (admin) on the same address makes and sends it now,
/// once: a second request for the same domain and period start sends nothing. Both answer
/// 409 while <c>Events:DmarcReports:Enabled</c> is off: the reporting organisation is then
/// unconfigured, and a report would carry no name or address to answer to.
/// </summary>
public static class DmarcEndpoints
{
    /// <summary>Maps the endpoints.</summary>
    public static void Map(WebApplication app)
    {
        app.MapGet("/dmarc/aggregate", async (string? domain, long? begin, long? end, AggregateReporter reporter, DmarcReportOptions options,
            TimeProvider clock, CancellationToken ct) =>
        {
            if (Refusal(domain, begin, end, options) is { } refusal)
                return refusal;
            var period = Period(begin, end, options, clock);
            var report = await reporter.BuildAsync(domain!, period, ct);
            return report is null
                ? Results.NotFound(new { error = $"no DMARC-evaluated message of {domain} from {period.Begin} to {period.Last}" })
                : Results.Ok(new
                {
                    domain = report.PolicyDomain,
                    begin = report.Period.Begin,
                    end = report.Period.Last,
                    reportId = report.ReportId,
                    messages = report.Messages,
                    records = report.Records.Count,
                    fileName = AggregateReportXml.FileName(report, options),
                    xml = AggregateReportXml.Write(report, options),
                });
        })
        .WithSummary("The aggregate DMARC report (RFC 7489 appendix C XML) of a policy domain for a period, not sent")
        .Produces(StatusCodes.Status404NotFound)
        .Produces(StatusCodes.Status409Conflict);

        app.MapPost("/dmarc/aggregate", async (string? domain, long? begin, long? end, AggregateReporter reporter, DmarcReportOptions options,
            TimeProvider clock, CancellationToken ct) =>
        {
            if (Refusal(domain, begin, end, options) is { } refusal)
                return refusal;
            var result = await reporter.SendAsync(domain!, Period(begin, end, options, clock), ct);
            return Results.Ok(new
            {
                domain = result.Domain,
                begin = result.Period.Begin,
                end = result.Period.Last,
                reportId = result.ReportId,
                messages = result.Messages,
                messageId = result.MessageId,
                destinations = result.Destinations,
                alreadySent = result.AlreadySent,
            });
        })
        .WithSummary("Admin: make and send the aggregate DMARC report of a policy domain for a period now, once")
        .Produces(StatusCodes.Status409Conflict);
    }

    // Seconds since 1970 that DateTimeOffset can hold (years 1 to 9999).
    private static readonly long FirstSecond = DateTimeOffset.MinValue.ToUnixTimeSeconds();
    private static readonly long LastSecond = DateTimeOffset.MaxValue.ToUnixTimeSeconds() - 1;

    private static IResult? Refusal(string? domain, long? begin, long? end, DmarcReportOptions options)
    {
        if (!options.Enabled)
            return Results.Conflict(new { error = "DMARC reports are off (Events:DmarcReports:Enabled)" });
        return Check(domain, begin, end) is { } error ? Results.BadRequest(new { error }) : null;
    }

    private static string? Check(string? domain, long? begin, long? end)
    {
        if (string.IsNullOrWhiteSpace(domain))
            return "domain is required";
        if (begin is null != end is null)
            return "give both begin and end, or neither";
        if (begin < FirstSecond || begin > LastSecond || end < FirstSecond || end > LastSecond)
            return $"begin and end are seconds since 1970, from {FirstSecond} to {LastSecond}";
        if (begin is { } b && end is { } e && e < b)
            return "end is before begin";
        return null;
    }

    // end is the period's last second, as the report writes it.
    private static ReportPeriod Period(long? begin, long? end, DmarcReportOptions options, TimeProvider clock) =>
        begin is { } b && end is { } e
            ? new ReportPeriod(DateTimeOffset.FromUnixTimeSeconds(b), DateTimeOffset.FromUnixTimeSeconds(e + 1))
            : LastEnded(ReportPeriod.Containing(clock.GetUtcNow(), options.Interval), options.Interval);

    private static ReportPeriod LastEnded(ReportPeriod current, TimeSpan interval) => new(current.Start - interval, current.Start);
}
