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
            _ => SmtpVerb.Unknown,
        };
        return new SmtpCommand(verb, argument, word);
    }
}
