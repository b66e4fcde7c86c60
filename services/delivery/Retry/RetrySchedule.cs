using System.Globalization;
using Pipeline.Infrastructure.Configuration;

namespace Pipeline.Delivery.Retry;

/// <summary>
/// Exim's retry rules (Exim specification, "Retry configuration"): a list of
/// <c>F,cutoff,interval</c> and <c>G,cutoff,interval,factor</c> rules; the rule in force is
/// the first whose cutoff, counted from the first failure, lies ahead. Times take Exim's
/// units: <c>s</c>, <c>m</c>, <c>h</c>, <c>d</c>, <c>w</c>, combinable (<c>1h30m</c>).
/// </summary>
public sealed class RetrySchedule
{
    private readonly IReadOnlyList<RetryRule> _rules;

    private RetrySchedule(IReadOnlyList<RetryRule> rules) => _rules = rules;

    /// <summary>How long after the first failure retrying stops.</summary>
    public TimeSpan GiveUpAfter => _rules[^1].Cutoff;

    /// <summary>Parses a rule list such as <c>F,2h,15m; G,16h,1h,1.5; F,4d,6h</c>.</summary>
    /// <exception cref="FormatException">A rule is malformed, or cutoffs do not increase.</exception>
    public static RetrySchedule Parse(string text)
    {
        var rules = new List<RetryRule>();
        foreach (var item in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split(',', StringSplitOptions.TrimEntries);
            var kind = parts[0].ToUpperInvariant();
            if (!(kind == "F" && parts.Length == 3) && !(kind is "G" or "H" && parts.Length == 4))
                throw new FormatException($"retry rule '{item}': expected F,cutoff,interval or G,cutoff,interval,factor");
            var factor = 1.0;
            if (parts.Length == 4 && (!double.TryParse(parts[3], NumberStyles.Float, CultureInfo.InvariantCulture, out factor) || factor < 1))
                throw new FormatException($"retry rule '{item}': the factor must be a number of at least 1");
            var rule = new RetryRule(EximTime.Parse(parts[1]), EximTime.Parse(parts[2]), factor);
            if (rule.Interval <= TimeSpan.Zero || (rules.Count > 0 && rule.Cutoff <= rules[^1].Cutoff))
                throw new FormatException($"retry rule '{item}': intervals must be positive and cutoffs increase");
            rules.Add(rule);
        }

        if (rules.Count == 0)
            throw new FormatException("no retry rules");
        return new RetrySchedule(rules);
    }

    /// <summary>
    /// When to try again after a failure at <paramref name="now"/>, retrying since
    /// <paramref name="firstFailure"/>; null when the retry time is over and the recipient fails.
    /// </summary>
    public DateTimeOffset? Next(DateTimeOffset firstFailure, DateTimeOffset now)
    {
        var elapsed = now - firstFailure;
        var ruleStart = TimeSpan.Zero;
        foreach (var rule in _rules)
        {
            if (elapsed < rule.Cutoff)
            {
                // Walk the rule's intervals from its start to find the next one due after now.
                var at = ruleStart;
                var interval = rule.Interval;
                while (at <= elapsed)
                {
                    at += interval;
                    interval = TimeSpan.FromTicks((long)Math.Min(interval.Ticks * rule.Factor, TimeSpan.FromDays(365).Ticks));
                }

                return firstFailure + (at < rule.Cutoff ? at : rule.Cutoff);
            }

            ruleStart = rule.Cutoff;
        }

        return null;
    }

    private sealed record RetryRule(TimeSpan Cutoff, TimeSpan Interval, double Factor);
}
