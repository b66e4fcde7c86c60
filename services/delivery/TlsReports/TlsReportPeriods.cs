namespace Pipeline.Delivery.TlsReports;

/// <summary>
/// The periods TLS reports cover: consecutive spans of <c>Delivery:TlsReports:Period</c>
/// aligned on the Unix epoch, so that a day is a UTC day (RFC 8460 §4.1) and every process
/// computes the same period, and so the same claim. Pure.
/// </summary>
public static class TlsReportPeriods
{
    /// <summary>How long after a period ends its report waits, for attempts still committing what happened in it: a tenth of the period, at most a minute.</summary>
    public static TimeSpan Grace(TimeSpan period) => TimeSpan.FromTicks(Math.Min(period.Ticks / 10, TimeSpan.FromMinutes(1).Ticks));

    /// <summary>The last period that ended, grace included, by <paramref name="now"/>: its start (inclusive) and end (exclusive).</summary>
    public static (DateTimeOffset Begin, DateTimeOffset End) LastCompleted(DateTimeOffset now, TimeSpan period)
    {
        var ticks = (now - Grace(period) - DateTimeOffset.UnixEpoch).Ticks;
        var end = DateTimeOffset.UnixEpoch.AddTicks(ticks - (ticks % period.Ticks));
        return (end - period, end);
    }
}
