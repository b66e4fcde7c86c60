namespace Pipeline.Events.Dmarc;

/// <summary>The time an aggregate report covers: from <paramref name="Start"/> up to, not including, <paramref name="End"/>.</summary>
/// <param name="Start">The first second.</param>
/// <param name="End">The end, exclusive.</param>
public sealed record ReportPeriod(DateTimeOffset Start, DateTimeOffset End)
{
    /// <summary>The period of length <paramref name="interval"/> that holds <paramref name="time"/>, aligned to multiples of it since 1970.</summary>
    public static ReportPeriod Containing(DateTimeOffset time, TimeSpan interval)
    {
        var length = (long)interval.TotalSeconds;
        var start = Math.DivRem(time.ToUnixTimeSeconds(), length, out var rest) * length - (rest < 0 ? length : 0);
        return new ReportPeriod(DateTimeOffset.FromUnixTimeSeconds(start), DateTimeOffset.FromUnixTimeSeconds(start + length));
    }

    /// <summary>
    /// A domain's period length: the configured one, or the record's <c>ri=</c> (RFC 7489 §6.3,
    /// a hint) when that is longer, rounded up to a multiple of the configured one so that its
    /// periods end where configured ones do.
    /// </summary>
    public static TimeSpan IntervalFor(TimeSpan configured, long requestedSeconds)
    {
        var length = (long)configured.TotalSeconds;
        var multiple = Math.Max(1, (requestedSeconds + length - 1) / length);
        return TimeSpan.FromSeconds(length * multiple);
    }

    /// <summary>The start in seconds since 1970, as the report writes it.</summary>
    public long Begin => Start.ToUnixTimeSeconds();

    /// <summary>The last second covered, as the report writes it (<c>end</c> of <c>date_range</c>, inclusive).</summary>
    public long Last => End.ToUnixTimeSeconds() - 1;
}
