using System.Text;

namespace Pipeline.Delivery.Retry;

/// <summary>
/// One line of Exim's retry section: <c>pattern error [senders=list] rules</c>, e.g.
/// <c>*.example.com rcpt_4xx F,1h,5m; G,1d,15m,2</c>.
/// </summary>
/// <param name="Text">The line as configured, for the history and logs.</param>
/// <param name="Pattern">The recipient, domain or host pattern.</param>
/// <param name="Error">The error type it applies to.</param>
/// <param name="Senders">The senders it applies to (Exim's <c>senders=</c>), or null for any.</param>
/// <param name="Schedule">Its retry rules.</param>
public sealed record RetryLine(string Text, RetryAddressPattern Pattern, RetryErrorPattern Error, RetrySenders? Senders, RetrySchedule Schedule)
{
    /// <summary>Parses one line.</summary>
    /// <exception cref="FormatException">A field is missing or malformed.</exception>
    public static RetryLine Parse(string line)
    {
        var text = line.Trim();
        var rest = text.AsSpan();
        var pattern = NextField(ref rest) ?? throw new FormatException("empty retry line: expected 'pattern error rules'");
        var error = NextField(ref rest) ?? throw new FormatException($"retry line '{text}': no error name and rules after the pattern");
        RetrySenders? senders = null;
        var save = rest;
        if (NextField(ref rest) is { } field && field.StartsWith("senders=", StringComparison.Ordinal))
            senders = RetrySenders.Parse(field["senders=".Length..]);
        else
            rest = save;
        var rules = rest.Trim().ToString();
        if (rules.Length == 0)
            throw new FormatException($"retry line '{text}': no retry rules after the error name");
        try
        {
            return new RetryLine(text, RetryAddressPattern.Parse(pattern), RetryErrorPattern.Parse(error), senders, RetrySchedule.Parse(rules));
        }
        catch (FormatException e)
        {
            throw new FormatException($"retry line '{text}': {e.Message}", e);
        }
    }

    // The next white-space separated field; a field may be enclosed in double quotes, in whole
    // or after its "name=" (senders="a : b"). Null at the end.
    private static string? NextField(ref ReadOnlySpan<char> rest)
    {
        rest = rest.TrimStart();
        if (rest.IsEmpty)
            return null;
        var field = new StringBuilder();
        var quoted = false;
        var i = 0;
        for (; i < rest.Length && (quoted || !char.IsWhiteSpace(rest[i])); i++)
        {
            if (rest[i] == '"')
                quoted = !quoted;
            else
                field.Append(rest[i]);
        }

        if (quoted)
            throw new FormatException($"unterminated quote in retry line field '{rest.ToString()}'");
        rest = rest[i..];
        return field.ToString();
    }

    /// <summary>
    /// True when this line applies to a deferral of <paramref name="address"/> by
    /// <paramref name="error"/> at <paramref name="host"/>, for mail from <paramref name="sender"/>.
    /// As in Exim, the whole address decides for an error of that recipient (<c>rcpt_4xx</c>); for
    /// any other error the host's name is tried, then the recipient's domain.
    /// </summary>
    public bool Matches(string address, string? host, string sender, RetryError error)
    {
        if (!Error.Matches(error) || (Senders is not null && !Senders.Matches(sender)))
            return false;
        if (error.IsAddressError)
            return Pattern.Matches(address);
        var at = address.LastIndexOf('@');
        return (host is not null && Pattern.MatchesDomain(host)) || Pattern.MatchesDomain(at < 0 ? address : address[(at + 1)..]);
    }
}

/// <summary>The <c>senders=</c> list of a retry line: address patterns separated by <c>:</c>; an empty item is the null sender of bounces.</summary>
public sealed class RetrySenders
{
    private readonly IReadOnlyList<RetryAddressPattern> _patterns;
    private readonly bool _nullSender;

    private RetrySenders(IReadOnlyList<RetryAddressPattern> patterns, bool nullSender)
    {
        _patterns = patterns;
        _nullSender = nullSender;
    }

    /// <summary>Parses the list after <c>senders=</c>.</summary>
    /// <exception cref="FormatException">An item does not parse.</exception>
    public static RetrySenders Parse(string list)
    {
        var items = list.Split(':', StringSplitOptions.TrimEntries);
        return new RetrySenders([.. items.Where(i => i.Length > 0).Select(RetryAddressPattern.Parse)], items.Any(i => i.Length == 0));
    }

    /// <summary>True when <paramref name="sender"/> (empty for the null sender) is in the list.</summary>
    public bool Matches(string sender) => sender.Length == 0 ? _nullSender : _patterns.Any(p => p.Matches(sender));
}

/// <summary>
/// The retry section: <c>Delivery:Retry</c>'s lines, tried in order, then <c>Delivery:RetryRules</c>
/// as the last line, <c>* *</c>, which matches every deferral.
/// </summary>
public sealed class RetryConfiguration
{
    private RetryConfiguration(IReadOnlyList<RetryLine> lines, RetryLine fallback)
    {
        Lines = lines;
        Fallback = fallback;
    }

    /// <summary>The configured lines, in order.</summary>
    public IReadOnlyList<RetryLine> Lines { get; }

    /// <summary>The last line: <c>* * </c> and <c>Delivery:RetryRules</c>.</summary>
    public RetryLine Fallback { get; }

    /// <summary>Parses <paramref name="lines"/> (<c>Delivery:Retry</c>) and <paramref name="fallbackRules"/> (<c>Delivery:RetryRules</c>).</summary>
    /// <exception cref="FormatException">A line or the fallback rules are malformed; the message names which.</exception>
    public static RetryConfiguration Parse(IReadOnlyList<string> lines, string fallbackRules)
    {
        var parsed = new List<RetryLine>(lines.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            try
            {
                parsed.Add(RetryLine.Parse(lines[i]));
            }
            catch (FormatException e)
            {
                throw new FormatException($"Delivery:Retry:{i}: {e.Message}", e);
            }
        }

        RetrySchedule fallback;
        try
        {
            fallback = RetrySchedule.Parse(fallbackRules);
        }
        catch (FormatException e)
        {
            throw new FormatException($"Delivery:RetryRules: {e.Message}", e);
        }

        return new RetryConfiguration(parsed,
            new RetryLine($"* * {fallbackRules.Trim()}", RetryAddressPattern.Any, RetryErrorPattern.Any, null, fallback));
    }

    /// <summary>The first line that applies to a deferral (see <see cref="RetryLine.Matches"/>), or the fallback.</summary>
    public RetryLine For(string address, string? host, string sender, RetryError error) =>
        Lines.FirstOrDefault(l => l.Matches(address, host, sender, error)) ?? Fallback;
}
