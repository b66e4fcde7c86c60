using Pipeline.Infrastructure.Configuration;

namespace Pipeline.Delivery.Bounces;

/// <summary>
/// Exim's <c>delay_warning</c> (Exim specification, "Main configuration", and "Customizing
/// warning messages"): a colon-separated list of up to 10 increasing times in the queue after
/// which the sender is warned; past the last, the gap between the last two (or the only time)
/// repeats. <c>4h:8h:24h</c> warns at 4, 8 and 24 hours, then every 16 hours; <c>6h</c> every 6
/// hours; empty or <c>0</c>, never. As in Exim, warnings are due only when a delivery attempt
/// ends with recipients deferred, and intervals passed between two attempts are not made up.
/// </summary>
public sealed class DelayWarningSchedule
{
    // Exim's limit on the list.
    private const int MaxTimes = 10;

    private readonly IReadOnlyList<TimeSpan> _times;

    private DelayWarningSchedule(IReadOnlyList<TimeSpan> times) => _times = times;

    /// <summary>A schedule that never warns.</summary>
    public static DelayWarningSchedule Never { get; } = new([]);

    /// <summary>True when no warning is ever sent.</summary>
    public bool IsNever => _times.Count == 0;

    /// <summary>Parses a list such as <c>4h:8h:24h</c>; empty or <c>0</c> is <see cref="Never"/>.</summary>
    /// <exception cref="FormatException">An item is not an Exim time, the times do not increase, or there are more than 10.</exception>
    public static DelayWarningSchedule Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim() == "0")
            return Never;
        var times = new List<TimeSpan>();
        foreach (var item in text.Split(':', StringSplitOptions.TrimEntries))
        {
            var time = EximTime.Parse(item);
            if (times.Count > 0 && time <= times[^1])
                throw new FormatException($"'{item}' is not later than the time before it: the times must increase");
            times.Add(time);
        }

        if (times.Count > MaxTimes)
            throw new FormatException($"{times.Count} times, and at most {MaxTimes} may be given");
        return new DelayWarningSchedule(times);
    }

    /// <summary>
    /// The warning due after <paramref name="inQueue"/> in the queue when <paramref name="sent"/>
    /// were sent before, or null when none is. Its count is how many times of the schedule have
    /// passed (what the next decision compares with); its delay is the last of them, the
    /// "more than ..." of the warning.
    /// </summary>
    public (int Count, TimeSpan Delay)? Due(TimeSpan inQueue, int sent)
    {
        if (IsNever)
            return null;
        var count = _times.Count(t => t <= inQueue);
        if (count == 0)
            return null;
        var delay = _times[count - 1];
        if (count == _times.Count)
        {
            // Past the last time: the last gap repeats.
            var gap = _times.Count > 1 ? _times[^1] - _times[^2] : _times[^1];
            var extra = (int)Math.Min((inQueue - _times[^1]).Ticks / gap.Ticks, int.MaxValue - count);
            delay += gap * extra;
            count += extra;
        }

        return count > sent ? (count, delay) : null;
    }

    /// <summary>A delay as the warning words it (Exim's <c>$warn_message_delay</c>): <c>N hours</c>, <c>N minutes</c>, or <c>N seconds</c> below a minute.</summary>
    public static string Words(TimeSpan delay) =>
        delay >= TimeSpan.FromHours(1) ? Plural((long)delay.TotalHours, "hour")
        : delay >= TimeSpan.FromMinutes(1) ? Plural((long)delay.TotalMinutes, "minute")
        : Plural((long)delay.TotalSeconds, "second");

    private static string Plural(long n, string unit) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{n} {unit}{(n == 1 ? "" : "s")}");
}
