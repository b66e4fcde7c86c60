namespace Pipeline.Ingress.Protocol;

/// <summary>
/// Enhanced status codes (RFC 2034, RFC 3463): the <c>class.subject.detail</c> after a reply's
/// basic code. Replies are written with them; a session that did not advertise the extension
/// (HELO, or before EHLO) strips them, as RFC 2034 §3 requires.
/// </summary>
public static class EnhancedStatus
{
    /// <summary>The length of the enhanced code at <paramref name="start"/> of <paramref name="text"/> with its trailing space, or 0 when there is none.</summary>
    public static int Measure(ReadOnlySpan<char> text)
    {
        // class "." subject "." detail SP; class is 2, 4 or 5, subject and detail 1 to 3 digits.
        if (text.Length < 6 || text[0] is not ('2' or '4' or '5') || text[1] != '.')
            return 0;
        var i = 2;
        for (var part = 0; part < 2; part++)
        {
            var digits = 0;
            while (i < text.Length && char.IsAsciiDigit(text[i]) && digits < 3)
            {
                i++;
                digits++;
            }

            if (digits == 0 || i >= text.Length || text[i] != (part == 0 ? '.' : ' '))
                return 0;
            i++;
        }

        return i;
    }

    /// <summary>A reply (one line or several, CRLF-separated) without its enhanced codes.</summary>
    public static string Strip(string reply)
    {
        if (!reply.Contains('.'))
            return reply;
        var lines = reply.Split("\r\n");
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n];
            if (line.Length > 4)
            {
                var length = Measure(line.AsSpan(4));
                if (length > 0)
                    lines[n] = string.Concat(line.AsSpan(0, 4), line.AsSpan(4 + length));
            }
        }

        return string.Join("\r\n", lines);
    }

    /// <summary>
    /// <paramref name="code"/> SP text, with <paramref name="enhanced"/> put before the text unless
    /// the text already starts with an enhanced code of the same class (as a policy message may).
    /// </summary>
    public static string Compose(string code, string enhanced, string text)
    {
        var own = Measure(text);
        return own > 0 && text[0] == code[0] ? $"{code} {text}" : $"{code} {enhanced} {text}";
    }

    /// <summary>The enhanced code of a one-line reply, or null.</summary>
    public static string? Of(string reply) =>
        reply.Length > 4 && Measure(reply.AsSpan(4)) is var length and > 0 ? reply.Substring(4, length - 1) : null;
}
