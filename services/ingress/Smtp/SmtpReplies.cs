namespace Pipeline.Ingress.Smtp;

/// <summary>The fixed replies of the server (RFC 5321 §4.2), worded as Exim words them.</summary>
public static class SmtpReplies
{
    public const string Ok = "250 OK";
    public const string StartData = "354 Enter message, ending with \".\" on a line by itself";
    public const string HeloFirst = "503 HELO or EHLO required first";
    public const string NestedMail = "503 sender already given";
    public const string NoSender = "503 sender not yet given";
    public const string NoRecipients = "503 valid RCPT command must precede DATA";
    public const string NoRecipientsBdat = "503 valid RCPT command must precede BDAT";
    public const string DataAfterBdat = "503 DATA is not allowed after BDAT";
    public const string TooManyRecipients = "452 too many recipients";
    public const string RelayNotPermitted = "550 relay not permitted";
    public const string NeedsSmtpUtf8 = "553 non-ASCII address requires SMTPUTF8";
    public const string LineTooLong = "500 line too long";
    public const string TooBig = "552 Message size exceeds maximum permitted";
    public const string TextLineTooLong = "554 message has lines too long";
    public const string SyncError = "554 SMTP synchronization error";
    public const string TooManyUnknown = "500 too many unrecognized commands";
    public const string LocalError = "451 Local error in processing";
    public const string ProxyFailed = "503 Command refused, required Proxy negotiation failed";
    public const string Vrfy = "252 Cannot VRFY user; try RCPT to attempt delivery";
    public const string Help = "214 Commands supported: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP";

    /// <summary>The reply to an unrecognized command.</summary>
    public static string Unknown(string verb) => $"500 unrecognized command {Printable(verb)}";

    /// <summary>The text of a reply, with anything unprintable replaced.</summary>
    public static string Printable(string text) =>
        new(text.Take(64).Select(c => c is < ' ' or > '~' ? '?' : c).ToArray());
}
