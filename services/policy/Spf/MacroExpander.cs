using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pipeline.Policy.Spf;

/// <summary>The values macros expand to (RFC 7208 §7.2).</summary>
/// <param name="Sender">The sender, <c>local@domain</c> (postmaster@helo when MAIL FROM was empty).</param>
/// <param name="Domain">The current domain (<c>%{d}</c>).</param>
/// <param name="Client">The client's address.</param>
/// <param name="Helo">The HELO/EHLO name.</param>
/// <param name="Receiver">The receiving host's name, for <c>%{r}</c>.</param>
public sealed record MacroContext(string Sender, string Domain, IPAddress Client, string Helo, string Receiver);

/// <summary>
/// Macro syntax and expansion (RFC 7208 §7): <c>%{letter transformers delimiters}</c>,
/// <c>%%</c>, <c>%_</c> and <c>%-</c>; upper-case letters URL-escape; c, r and t only in exp text.
/// </summary>
public static class MacroExpander
{
    private const string Delimiters = ".-+,/_=";

    /// <summary>True when <paramref name="text"/> is a macro-string (§7.1).</summary>
    public static bool IsMacroString(string text, bool explanation) => Scan(text, explanation, null, null);

    /// <summary>True when <paramref name="text"/> is a domain-spec: a macro-string ending in a macro or "." toplabel ["."] (§7.1).</summary>
    public static bool IsDomainSpec(string text)
    {
        if (text.Length == 0 || !IsMacroString(text, explanation: false))
            return false;
        if (text.EndsWith('}'))
            return true;
        var trimmed = text.EndsWith('.') ? text[..^1] : text;
        var dot = trimmed.LastIndexOf('.');
        if (dot < 0)
            return false;
        return IsTopLabel(trimmed[(dot + 1)..]);
    }

    // toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
    private static bool IsTopLabel(string label) =>
        label.Length > 0 && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
        && char.IsAsciiLetterOrDigit(label[0]) && char.IsAsciiLetterOrDigit(label[^1])
        && (label.Any(char.IsAsciiLetter) || label.Contains('-'));

    /// <summary>Expands <paramref name="text"/>; null when it is not a valid macro-string. <paramref name="resolvePtr"/> gives <c>%{p}</c>.</summary>
    public static async Task<string?> ExpandAsync(string text, MacroContext context, bool explanation, Func<Task<string>> resolvePtr)
    {
        string? validated = null;
        if (text.Contains("%{p", StringComparison.OrdinalIgnoreCase))
            validated = await resolvePtr().ConfigureAwait(false);
        var output = new StringBuilder();
        return Scan(text, explanation, context, (output, validated)) ? output.ToString() : null;
    }

    // One pass for both checking and expanding: with target null it only checks.
    private static bool Scan(string text, bool explanation, MacroContext? context, (StringBuilder Output, string? Ptr)? target)
    {
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c != '%')
            {
                // macro-literal = %x21-24 / %x26-7E; exp text also allows spaces.
                if (c is < '!' or > '~' && !(explanation && c == ' '))
                    return false;
                target?.Output.Append(c);
                i++;
                continue;
            }

            if (i + 1 >= text.Length)
                return false;
            var next = text[i + 1];
            if (next is '%' or '_' or '-')
            {
                target?.Output.Append(next switch { '%' => "%", '_' => " ", _ => "%20" });
                i += 2;
                continue;
            }

            if (next != '{')
                return false;
            var close = text.IndexOf('}', i + 2);
            if (close < 0)
                return false;
            if (!ExpandOne(text.AsSpan(i + 2, close - i - 2), explanation, context, target))
                return false;
            i = close + 1;
        }

        return true;
    }

    // letter *DIGIT [ "r" ] *delimiter
    private static bool ExpandOne(ReadOnlySpan<char> body, bool explanation, MacroContext? context, (StringBuilder Output, string? Ptr)? target)
    {
        if (body.Length == 0)
            return false;
        var letter = body[0];
        var lower = char.ToLowerInvariant(letter);
        if (!"slodiphv".Contains(lower, StringComparison.Ordinal) && !(explanation && "crt".Contains(lower, StringComparison.Ordinal)))
            return false;
        var i = 1;
        var digitsStart = i;
        while (i < body.Length && char.IsAsciiDigit(body[i]))
            i++;
        var keep = 0;
        if (i > digitsStart)
        {
            if (!int.TryParse(body[digitsStart..i], NumberStyles.None, CultureInfo.InvariantCulture, out keep) || keep == 0)
                return false;
        }

        var reverse = false;
        if (i < body.Length && body[i] is 'r' or 'R')
        {
            reverse = true;
            i++;
        }

        var delimiters = body[i..];
        foreach (var d in delimiters)
            if (Delimiters.IndexOf(d) < 0)
                return false;

        if (target is not { } t || context is null)
            return true;

        var value = Value(lower, context, t.Ptr);
        var parts = value.Split(delimiters.Length == 0 ? ['.'] : delimiters.ToArray());
        if (reverse)
            Array.Reverse(parts);
        if (keep > 0 && keep < parts.Length)
            parts = parts[^keep..];
        var expanded = string.Join('.', parts);
        t.Output.Append(char.IsUpper(letter) ? Uri.EscapeDataString(expanded) : expanded);
        return true;
    }

    private static string Value(char letter, MacroContext context, string? ptr)
    {
        var at = context.Sender.LastIndexOf('@');
        return letter switch
        {
            's' => context.Sender,
            'l' => at > 0 ? context.Sender[..at] : "postmaster",
            'o' => at >= 0 ? context.Sender[(at + 1)..] : context.Sender,
            'd' => context.Domain,
            'i' => DottedAddress(context.Client),
            'p' => ptr ?? "unknown",
            'v' => context.Client.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6" : "in-addr",
            'h' => context.Helo,
            'c' => context.Client.ToString(),
            'r' => context.Receiver,
            _ => DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>
    /// <c>%{i}</c>: dotted-quad for IPv4, 32 dot-separated nibbles for IPv6, in upper case as
    /// the suite's reference implementation (pyspf) writes them; DNS names ignore case, so only
    /// explanation texts can tell.
    /// </summary>
    public static string DottedAddress(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return address.ToString();
        var bytes = address.GetAddressBytes();
        return string.Join('.', bytes.SelectMany(b => new[] { (b >> 4).ToString("X", CultureInfo.InvariantCulture), (b & 0xf).ToString("X", CultureInfo.InvariantCulture) }));
    }

    /// <summary>Shortens an expanded domain over 253 characters by dropping labels from the left (§7.3).</summary>
    public static string Truncate(string domain)
    {
        while (domain.Length > 253 && domain.IndexOf('.') is var dot and >= 0)
            domain = domain[(dot + 1)..];
        return domain;
    }
}
