using System.Globalization;
using System.Text;

namespace Pipeline.Ingress.Protocol;

/// <summary>
/// One reply of the server (RFC 5321 §4.2): its three-digit code, its enhanced status code
/// (RFC 3463, <c>class.subject.detail</c>, whose class matches the code's first digit), and
/// its text, one line or several separated by <c>\n</c>. A value: replies are built, changed
/// (<see cref="WithCode"/>) and written (<see cref="Write"/>) as such, never cut out of strings.
/// </summary>
public sealed record SmtpReply
{
    /// <summary>A reply; <paramref name="enhanced"/> is checked against <paramref name="code"/>.</summary>
    /// <exception cref="ArgumentException">The code is not 200 to 599, or the enhanced code not one of its class.</exception>
    public SmtpReply(int code, string? enhanced, string text)
    {
        if (code is < 200 or > 599)
            throw new ArgumentException($"reply code {code} is not 2xx to 5xx", nameof(code));
        if (enhanced is not null && (EnhancedStatus.Measure(enhanced + " ") != enhanced.Length + 1 || enhanced[0] - '0' != code / 100))
            throw new ArgumentException($"'{enhanced}' is not an enhanced status code of class {code / 100}", nameof(enhanced));
        Code = code;
        Enhanced = enhanced;
        Text = text;
    }

    /// <summary>The basic code, 200 to 599.</summary>
    public int Code { get; }

    /// <summary>The enhanced status code, such as <c>5.7.1</c>, or null.</summary>
    public string? Enhanced { get; }

    /// <summary>The text; several lines are separated by <c>\n</c>.</summary>
    public string Text { get; }

    /// <summary>2xx and 3xx.</summary>
    public bool IsPositive => Code < 400;

    /// <summary>
    /// A reply from a code, a default enhanced code, and a text that may begin with an
    /// enhanced code of its own (as a rule's <c>message =</c> may): that one is kept when its
    /// class matches the code. Control characters in the text become <c>?</c>, but for the
    /// line breaks that make a reply of several lines.
    /// </summary>
    public static SmtpReply Compose(int code, string enhanced, string text) => Make(code, enhanced, text);

    /// <summary>Parses one line, <c>code [enhanced] text</c>, as <see cref="ToString"/> writes it; null when it is not one.</summary>
    public static SmtpReply? Parse(string line)
    {
        if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var code)
            || code is < 200 or > 599 || (line.Length > 3 && line[3] != ' '))
            return null;
        return Make(code, null, line.Length > 4 ? line[4..] : "");
    }

    private static SmtpReply Make(int code, string? enhanced, string text)
    {
        var own = EnhancedStatus.Measure(text);
        return own > 0 && text[0] - '0' == code / 100
            ? new SmtpReply(code, text[..(own - 1)], Clean(text[own..]))
            : new SmtpReply(code, enhanced, Clean(text));
    }

    /// <summary>
    /// The same reply with another code (Exim answers a refusal at connect with 554 or 421
    /// whatever the rule's code); the enhanced code's class follows the new code.
    /// </summary>
    public SmtpReply WithCode(int code) =>
        new(code, Enhanced is null ? null : string.Concat(((char)('0' + code / 100)).ToString(), Enhanced.AsSpan(1)), Text);

    /// <summary>The same reply with a line added at its end.</summary>
    public SmtpReply WithLine(string line) => new(Code, Enhanced, Text + "\n" + line);

    /// <summary>
    /// The reply as it goes on the wire, each line with CRLF: <c>code-</c> before every line but
    /// the last, <c>code SP</c> before the last (RFC 5321 §4.2.1), and the enhanced code on each
    /// line when <paramref name="enhanced"/> (RFC 2034 §3: only once the client said EHLO).
    /// </summary>
    public string Write(bool enhanced)
    {
        var lines = Text.Split('\n');
        var wire = new StringBuilder();
        for (var i = 0; i < lines.Length; i++)
        {
            wire.Append(Code.ToString(CultureInfo.InvariantCulture)).Append(i == lines.Length - 1 ? ' ' : '-');
            if (enhanced && Enhanced is not null)
                wire.Append(Enhanced).Append(' ');
            wire.Append(lines[i]).Append("\r\n");
        }

        return wire.ToString();
    }

    /// <summary>The reply on one line, with its enhanced code, as events and logs record it.</summary>
    public override string ToString() =>
        $"{Code.ToString(CultureInfo.InvariantCulture)}{(Enhanced is null ? "" : " " + Enhanced)} {Text.Replace('\n', ' ')}";

    private static string Clean(string text) =>
        text.Any(c => char.IsControl(c) && c != '\n') ? new string(text.Select(c => char.IsControl(c) && c != '\n' ? '?' : c).ToArray()) : text;
}
