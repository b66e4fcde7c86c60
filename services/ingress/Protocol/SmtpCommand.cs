using System.Buffers;
using System.Text.Unicode;

namespace Pipeline.Ingress.Protocol;

/// <summary>The SMTP verbs ingress knows (RFC 5321 §4.1.1).</summary>
public enum SmtpVerb
{
    /// <summary>Not a verb ingress knows.</summary>
    Unknown,
    Helo,
    Ehlo,
    Mail,
    Rcpt,
    Data,
    Bdat,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Help,
    StartTls,
    Auth,

    /// <summary>
    /// An HTTP request line (<c>GET</c>, <c>POST</c>, <c>CONNECT</c> ...): a browser or a proxy
    /// abused to reach the SMTP port, which Postfix drops at once (its
    /// <c>smtpd_forbidden_commands</c>).
    /// </summary>
    Http,
}

/// <summary>What is wrong with a command line's bytes before any parsing.</summary>
public enum CommandDefect
{
    /// <summary>Nothing.</summary>
    None,

    /// <summary>A NUL byte: no SMTP command may hold one (RFC 5321 §4.1.1 text is printable US-ASCII or UTF-8).</summary>
    Nul,

    /// <summary>Bytes that are not UTF-8: neither US-ASCII nor the UTF-8 of RFC 6531.</summary>
    InvalidUtf8,
}

/// <summary>One parsed command line: the verb and the text after it.</summary>
/// <param name="Verb">The verb.</param>
/// <param name="Argument">The rest of the line after the verb and one space, or empty.</param>
/// <param name="Text">The verb as the client sent it, for replies about unknown commands.</param>
public sealed record SmtpCommand(SmtpVerb Verb, string Argument, string Text)
{
    /// <summary>Splits a command line (without CRLF) into verb and argument.</summary>
    public static SmtpCommand Parse(string line)
    {
        var space = line.IndexOf(' ');
        var word = space < 0 ? line : line[..space];
        var argument = space < 0 ? "" : line[(space + 1)..].Trim();
        var verb = word.ToUpperInvariant() switch
        {
            "HELO" => SmtpVerb.Helo,
            "EHLO" => SmtpVerb.Ehlo,
            "MAIL" => SmtpVerb.Mail,
            "RCPT" => SmtpVerb.Rcpt,
            "DATA" => SmtpVerb.Data,
            "BDAT" => SmtpVerb.Bdat,
            "RSET" => SmtpVerb.Rset,
            "NOOP" => SmtpVerb.Noop,
            "QUIT" => SmtpVerb.Quit,
            "VRFY" => SmtpVerb.Vrfy,
            "HELP" => SmtpVerb.Help,
            "STARTTLS" => SmtpVerb.StartTls,
            "AUTH" => SmtpVerb.Auth,
            "GET" or "POST" or "HEAD" or "PUT" or "CONNECT" or "OPTIONS" => SmtpVerb.Http,
            _ => SmtpVerb.Unknown,
        };
        return new SmtpCommand(verb, argument, word);
    }

    /// <summary>Checks a command line's bytes (without CRLF): a NUL first, then UTF-8.</summary>
    public static CommandDefect Inspect(in ReadOnlySequence<byte> line)
    {
        if (line.PositionOf((byte)0) is not null)
            return CommandDefect.Nul;
        if (line.IsSingleSegment)
            return Utf8.IsValid(line.FirstSpan) ? CommandDefect.None : CommandDefect.InvalidUtf8;
        return Utf8.IsValid(line.ToArray()) ? CommandDefect.None : CommandDefect.InvalidUtf8;
    }
}
