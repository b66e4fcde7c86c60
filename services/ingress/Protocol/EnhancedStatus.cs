namespace Pipeline.Ingress.Protocol;

/// <summary>
/// Enhanced status codes (RFC 2034, RFC 3463): the <c>class.subject.detail</c> after a reply's
/// basic code. <see cref="SmtpReply"/> writes them only once the extension was advertised
/// (not after HELO, nor before EHLO), as RFC 2034 §3 requires.
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
}
