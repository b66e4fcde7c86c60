namespace Pipeline.Infrastructure.Configuration;

/// <summary>
/// Exim's time intervals (Exim specification, "Time intervals"): a number followed by
/// <c>s</c>, <c>m</c>, <c>h</c>, <c>d</c> or <c>w</c>, several run together (<c>1h30m</c>), a
/// bare number counting seconds. Retry rules and <c>ratelimit</c> periods are written this way.
/// </summary>
public static class EximTime
{
    /// <summary>Parses a positive interval such as <c>15m</c>, <c>1h30m</c> or <c>90</c>.</summary>
    /// <exception cref="FormatException">The text is not a positive Exim time.</exception>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value) ? value : throw new FormatException($"'{text}' is not a time such as 15m or 1h30m");

    /// <summary>Parses a positive interval; false when <paramref name="text"/> is not one.</summary>
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var total = 0L;
        var number = 0L;
        var digits = false;
        try
        {
            foreach (var c in text.Trim())
            {
                if (char.IsAsciiDigit(c))
                {
                    number = checked(number * 10 + (c - '0'));
                    digits = true;
                    continue;
                }

                if (!digits)
                    return false;
                var unit = c switch
                {
                    's' => 1L,
                    'm' => 60L,
                    'h' => 3600L,
                    'd' => 86400L,
                    'w' => 7 * 86400L,
                    _ => 0L,
                };
                if (unit == 0)
                    return false;
                total = checked(total + number * unit);
                number = 0;
                digits = false;
            }

            if (digits)
                total = checked(total + number);
            if (total <= 0 || total > TimeSpan.MaxValue.TotalSeconds)
                return false;
        }
        catch (OverflowException)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(total);
        return true;
    }
}
