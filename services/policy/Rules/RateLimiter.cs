using System.Collections.Concurrent;
using System.Globalization;
using Pipeline.Infrastructure.Configuration;

namespace Pipeline.Policy.Rules;

/// <summary>
/// Exim's <c>ratelimit</c> condition: a sender's rate as an exponentially weighted moving
/// average over the smoothing period p, r' = (1 − a)·c·p/i + a·r with a = e^(−i/p), i the time
/// since the last event and c the event's count. The condition holds when the rate is over the
/// limit. In leaky mode (the default) an event over the limit does not raise the stored rate,
/// so a client that slows down gets through again; strict mode counts every event. Like each
/// Exim host's hints database, each policy process keeps its own rates.
/// </summary>
public sealed class RateLimiter(TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, (double Rate, DateTimeOffset Last)> _rates = new(StringComparer.Ordinal);

    /// <summary>A parsed <c>ratelimit = m / p / options / key</c>.</summary>
    public sealed record Limit(double Maximum, TimeSpan Period, string Per, bool Strict, bool ReadOnly, string Key);

    /// <summary>Parses the (expanded) value of a ratelimit condition.</summary>
    /// <exception cref="FormatException">It does not fit <c>m / p / options / key</c>.</exception>
    public static Limit Parse(string value, string defaultKey)
    {
        var fields = value.Split('/').Select(f => f.Trim()).ToList();
        if (fields.Count < 2 || !double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var maximum) || maximum < 0)
            throw new FormatException($"ratelimit '{value}': expected m / p / options / key");
        if (!EximTime.TryParse(fields[1], out var period))
            throw new FormatException($"ratelimit '{value}': bad period '{fields[1]}'");
        string per = "per_mail", key = defaultKey;
        bool strict = false, readOnly = false;
        foreach (var option in fields.Skip(2))
        {
            switch (option)
            {
                case "per_conn" or "per_mail" or "per_rcpt" or "per_cmd" or "per_byte": per = option; break;
                case "strict": strict = true; break;
                case "leaky": strict = false; break;
                case "readonly" or "noupdate": readOnly = true; break;
                default: key = option; break;
            }
        }

        return new Limit(maximum, period, per, strict, readOnly, key);
    }

    /// <summary>Records an event of <paramref name="count"/> for <paramref name="limit"/> and tells whether the rate is now over it.</summary>
    public (bool Over, double Rate) Record(Limit limit, double count)
    {
        var id = $"{limit.Per}/{limit.Period.TotalSeconds}/{limit.Key}";
        var now = clock.GetUtcNow();
        var over = false;
        var rate = 0.0;
        _rates.AddOrUpdate(id,
            _ =>
            {
                rate = count;
                over = rate > limit.Maximum;
                return (count, now);
            },
            (_, stored) =>
            {
                var interval = Math.Max((now - stored.Last).TotalSeconds, 1e-3);
                var ratio = interval / limit.Period.TotalSeconds;
                var a = Math.Exp(-ratio);
                rate = (1 - a) * count / ratio + a * stored.Rate;
                over = rate > limit.Maximum;
                return limit.ReadOnly || (over && !limit.Strict) ? stored : (rate, now);
            });
        return (over, rate);
    }
}
