namespace Pipeline.Ingress.Protocol;

/// <summary>
/// The argument of MAIL and RCPT: <c>FROM:&lt;path&gt; params</c> or <c>TO:&lt;path&gt; params</c>
/// (RFC 5321 §4.1.2 Reverse-path, Forward-path, Mail-parameters). Pure.
/// </summary>
/// <param name="Address">The mailbox, <c>local@domain</c>; empty for the null reverse-path <c>&lt;&gt;</c>.</param>
/// <param name="Parameters">The ESMTP parameters, keyword upper-cased, value null when absent.</param>
public sealed record PathArgument(string Address, IReadOnlyDictionary<string, string?> Parameters)
{
    /// <summary>
    /// Parses <paramref name="argument"/> after the keyword <paramref name="keyword"/>
    /// (<c>FROM</c> or <c>TO</c>). A space after the colon is tolerated, as most servers do.
    /// A source route (<c>&lt;@a,@b:user@d&gt;</c>) is dropped as RFC 5321 §C asks.
    /// </summary>
    /// <returns>The path, or null with <paramref name="error"/> saying what is wrong.</returns>
    public static PathArgument? Parse(string argument, string keyword, bool allowNull, out string error)
    {
        error = "";
        if (!argument.StartsWith(keyword + ":", StringComparison.OrdinalIgnoreCase))
        {
            error = $"{keyword}: expected";
            return null;
        }

        var rest = argument[(keyword.Length + 1)..].TrimStart();
        if (!rest.StartsWith('<'))
        {
            error = "path must be enclosed in <>";
            return null;
        }

        var close = FindClose(rest);
        if (close < 0)
        {
            error = "missing > after path";
            return null;
        }

        var address = rest[1..close];
        var colon = address.StartsWith('@') ? address.IndexOf(':') : -1;
        if (colon >= 0)
            address = address[(colon + 1)..];

        if (address.Length == 0)
        {
            if (!allowNull)
            {
                error = "empty address not allowed here";
                return null;
            }
        }
        else if (!IsMailbox(address))
        {
            error = $"<{address}> is not a valid address";
            return null;
        }

        var parameters = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var word in rest[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = word.IndexOf('=');
            var name = (equals < 0 ? word : word[..equals]).ToUpperInvariant();
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                error = $"malformed parameter {word}";
                return null;
            }

            // A keyword given twice is refused rather than one of the two silently winning (RET
            // and ENVID, for one, may each be given once: RFC 3461).
            if (!parameters.TryAdd(name, equals < 0 ? null : word[(equals + 1)..]))
            {
                error = $"duplicate parameter {name}";
                return null;
            }
        }

        return new PathArgument(address, parameters);
    }

    // The '>' that closes the path, skipping quoted strings in the local part.
    private static int FindClose(string text)
    {
        var quoted = false;
        for (var i = 1; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '\\' when quoted:
                    i++;
                    break;
                case '"':
                    quoted = !quoted;
                    break;
                case '>' when !quoted:
                    return i;
            }
        }

        return -1;
    }

    private static bool IsMailbox(string address)
    {
        var at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1 || !IsLocalPart(address[..at]))
            return false;
        var domain = address[(at + 1)..];
        if (domain.StartsWith('[') && domain.EndsWith(']'))
        {
            // An address literal; whoever routes it checks the address. RFC 5321 §4.1.3 allows
            // printable ASCII but '[', '\' and ']' inside (dcontent), so no blank or control.
            return domain.Length > 2 && domain[1..^1].All(c => c is >= '!' and <= '~' and not '[' and not '\\' and not ']');
        }
        return domain.Split('.').All(label =>
            label.Length is > 0 and <= 63 && !label.StartsWith('-') && !label.EndsWith('-')
            && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-' || (c > 127 && !char.IsControl(c))));
    }

    // RFC 5321 §4.1.2 Local-part: a Dot-string of atext (RFC 6531 adds UTF-8), or a
    // Quoted-string. Dots are let through anywhere in a Dot-string, as real mail has leading,
    // trailing and doubled ones; what is refused is what would change where the mail goes, such
    // as an unquoted '@' ("user@other.test?@local"), brackets, a comma or a colon.
    private static bool IsLocalPart(string local) =>
        local.StartsWith('"') ? IsQuotedString(local) : local.All(c => char.IsAsciiLetterOrDigit(c) || (c > 127 && !char.IsControl(c)) || c == '.' || AText.Contains(c));

    private const string AText = "!#$%&'*+-/=?^_`{|}~";

    private static bool IsQuotedString(string text)
    {
        if (text.Length < 2 || !text.EndsWith('"'))
            return false;
        for (var i = 1; i < text.Length - 1; i++)
        {
            var c = text[i];
            if (c == '\\')
            {
                // quoted-pairSMTP: a backslash and one printable ASCII character.
                if (++i >= text.Length - 1 || text[i] is < ' ' or > '~')
                    return false;
            }
            else if (c == '"' || char.IsControl(c)) // C0, DEL and the C1 controls
                return false;
        }

        return true;
    }
}
