using Microsoft.Extensions.Caching.Memory;
using Pipeline.Infrastructure.Caching;
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
/// <remarks>
/// The rates are bounded: at most <see cref="DefaultMaxKeys"/> keys (the least recently used
/// go first), and a key is forgotten once its rate has decayed below one event: after p·ln(r)
/// idle, at least one period. A forgotten key starts again at its event's count, which the
/// remembered rate, c·p/i·(1 − a) + a·r, exceeds by less than that one event.
/// </remarks>
public sealed class RateLimiter(TimeProvider clock, int maxKeys = RateLimiter.DefaultMaxKeys) : IDisposable
{
    /// <summary>How many keys a policy process keeps rates for: 100,000, about 10 MB.</summary>
    public const int DefaultMaxKeys = 100_000;

    private readonly MemoryCache _rates = BoundedMemoryCache.Create(maxKeys, clock);
    private readonly Lock _update = new();

    private sealed record Stored(double Rate, DateTimeOffset Last);

    /// <summary>How many keys it holds rates for now.</summary>
    public int Count => _rates.Count;

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
        lock (_update)
        {
            if (!_rates.TryGetValue(id, out Stored? stored) || stored is null)
            {
                // A key's first event sets its rate, as in Exim.
                Keep(id, count, now, limit.Period);
                return (count > limit.Maximum, count);
            }

            var interval = Math.Max((now - stored.Last).TotalSeconds, 1e-3);
            var ratio = interval / limit.Period.TotalSeconds;
            var a = Math.Exp(-ratio);
            var rate = (1 - a) * count / ratio + a * stored.Rate;
            var over = rate > limit.Maximum;
            if (!limit.ReadOnly && !(over && !limit.Strict))
                Keep(id, rate, now, limit.Period);
            return (over, rate);
        }
    }

    // Kept until the rate has decayed below one event (a·r < 1 once i > p·ln r), a year at most.
    private void Keep(string id, double rate, DateTimeOffset now, TimeSpan period)
    {
        var idle = TimeSpan.FromSeconds(Math.Min(period.TotalSeconds * Math.Max(1, Math.Log(Math.Max(rate, 1))), TimeSpan.FromDays(365).TotalSeconds));
        _rates.Set(id, new Stored(rate, now), BoundedMemoryCache.Until(now + idle));
    }

    /// <inheritdoc />
    public void Dispose() => _rates.Dispose();
}
