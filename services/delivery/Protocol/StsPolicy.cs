using System.Globalization;

namespace Pipeline.Delivery.Protocol;

/// <summary>What an MTA-STS policy asks of senders (RFC 8461 §5).</summary>
public enum StsMode
{
    /// <summary>Deliver only to MX hosts the policy names, over TLS with a certificate that verifies and names the host.</summary>
    Enforce,

    /// <summary>Check as in <see cref="Enforce"/> and report what fails, but deliver all the same.</summary>
    Testing,

    /// <summary>As though the domain had no policy: a domain's way of withdrawing one.</summary>
    None,
}

/// <summary>
/// A domain's MTA-STS policy, as served at <c>https://mta-sts.domain/.well-known/mta-sts.txt</c>
/// (RFC 8461 §3.2): <c>key: value</c> lines giving the version (<c>STSv1</c>), the mode, the
/// allowed MX host patterns and how long the policy may be cached. Pure: no I/O.
/// </summary>
/// <param name="Mode">The mode.</param>
/// <param name="Mx">The MX host patterns, lower case: <c>mx.example.com</c>, or <c>*.example.com</c> for any one label there.</param>
/// <param name="MaxAge">How long the policy may be cached, at most <see cref="MaxMaxAge"/>.</param>
/// <param name="Lines">The policy's lines as served, for reports (RFC 8460 <c>policy-string</c>).</param>
public sealed record StsPolicy(StsMode Mode, IReadOnlyList<string> Mx, TimeSpan MaxAge, IReadOnlyList<string> Lines)
{
    /// <summary>The longest <c>max_age</c> a policy may give: 31557600 seconds, about a year (§3.2).</summary>
    public static readonly TimeSpan MaxMaxAge = TimeSpan.FromSeconds(31557600);

    /// <summary>The mode as the policy writes it: <c>enforce</c>, <c>testing</c> or <c>none</c>.</summary>
    public string ModeText => Mode.ToString().ToLowerInvariant();

    /// <summary>
    /// True when <paramref name="host"/> matches one of the policy's MX patterns (§4.1): equal
    /// names, or under <c>*.</c> one label more than the rest, so that <c>*.example.com</c>
    /// matches <c>mx1.example.com</c> but neither <c>example.com</c> nor <c>a.mx.example.com</c>.
    /// Case and a trailing dot do not count.
    /// </summary>
    public bool AllowsMx(string host)
    {
        var name = host.TrimEnd('.').ToLowerInvariant();
        foreach (var pattern in Mx)
        {
            if (!pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                if (name == pattern)
                    return true;
                continue;
            }

            var first = name.IndexOf('.', StringComparison.Ordinal);
            if (first > 0 && name.AsSpan(first + 1).SequenceEqual(pattern.AsSpan(2)))
                return true;
        }

        return false;
    }

    /// <summary>
    /// Parses a policy: lines ending in CRLF or LF, each <c>key: value</c>; <c>version</c>,
    /// <c>mode</c> and <c>max_age</c> once each, <c>mx</c> once or more (it may be left out only
    /// in mode <c>none</c>); other keys are ignored (§3.2). A <c>max_age</c> beyond a year is
    /// taken as a year.
    /// </summary>
    /// <exception cref="FormatException">The policy is malformed.</exception>
    public static StsPolicy Parse(string text)
    {
        string? version = null, mode = null, maxAge = null;
        var mx = new List<string>();
        var lines = new List<string>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (line.Trim(' ', '\t').Length == 0)
                continue;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
                throw new FormatException($"line {number}, '{line}', is not 'key: value'");
            var key = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            lines.Add(line);
            switch (key)
            {
                case "version":
                    version = Once(version, key, value);
                    break;
                case "mode":
                    mode = Once(mode, key, value);
                    break;
                case "max_age":
                    maxAge = Once(maxAge, key, value);
                    break;
                case "mx":
                    mx.Add(MxPattern(value));
                    break;
                default:
                    // Unknown fields are for future versions (§3.2).
                    break;
            }
        }

        if (version != "STSv1")
            throw new FormatException(version is null ? "the policy has no version" : $"version '{version}' is not STSv1");
        var parsedMode = mode switch
        {
            "enforce" => StsMode.Enforce,
            "testing" => StsMode.Testing,
            "none" => StsMode.None,
            null => throw new FormatException("the policy has no mode"),
            _ => throw new FormatException($"mode '{mode}' is none of enforce, testing and none"),
        };
        if (maxAge is null)
            throw new FormatException("the policy has no max_age");
        if (maxAge.Length is 0 or > 10 || !maxAge.All(char.IsAsciiDigit))
            throw new FormatException($"max_age '{maxAge}' is not a number of seconds (1 to 10 digits)");
        var seconds = long.Parse(maxAge, NumberStyles.None, CultureInfo.InvariantCulture);
        if (mx.Count == 0 && parsedMode != StsMode.None)
            throw new FormatException($"a policy in mode {mode} names no mx");
        return new StsPolicy(parsedMode, mx, TimeSpan.FromSeconds(Math.Min(seconds, (long)MaxMaxAge.TotalSeconds)), lines);
    }

    private static string Once(string? seen, string key, string value) =>
        seen is null ? value : throw new FormatException($"the policy gives {key} more than once");

    // sts-policy-mx-value = ["*."] Domain: letter-digit-hyphen labels of 1 to 63 characters.
    private static string MxPattern(string value)
    {
        var name = value.TrimEnd('.').ToLowerInvariant();
        var labels = (name.StartsWith("*.", StringComparison.Ordinal) ? name[2..] : name).Split('.');
        if (name.Length > 253 || labels.Any(l => l.Length is 0 or > 63 || l[0] == '-' || l[^1] == '-' || !l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
            throw new FormatException($"mx '{value}' is not a host name, or *. and one");
        return name;
    }
}
