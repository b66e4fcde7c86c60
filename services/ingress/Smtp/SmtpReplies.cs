namespace Pipeline.Ingress.Smtp;

/// <summary>
/// The fixed replies of the server (RFC 5321 §4.2), worded as Exim words them, with the
/// enhanced status codes of RFC 3463 (stripped for clients that did not say EHLO).
/// </summary>
public static class SmtpReplies
{
    public const string Ok = "250 2.0.0 OK";
    public const string SenderOk = "250 2.1.0 OK";
    public const string RecipientOk = "250 2.1.5 Accepted";
    public const string StartData = "354 Enter message, ending with \".\" on a line by itself";
    public const string HeloFirst = "503 5.5.1 HELO or EHLO required first";
    public const string NestedMail = "503 5.5.1 sender already given";
    public const string NoSender = "503 5.5.1 sender not yet given";
    public const string NoRecipients = "503 5.5.1 valid RCPT command must precede DATA";
    public const string NoRecipientsBdat = "503 5.5.1 valid RCPT command must precede BDAT";
    public const string DataAfterBdat = "503 5.5.1 DATA is not allowed after BDAT";
    public const string TooManyRecipients = "452 4.5.3 too many recipients";
    public const string DifferentContentChecks = "451 4.5.3 this recipient's mail is checked differently; send it in a separate transaction";
    public const string RelayNotPermitted = "550 5.7.1 relay not permitted";
    public const string NeedsSmtpUtf8 = "553 5.6.7 non-ASCII address requires SMTPUTF8";
    public const string LineTooLong = "500 5.5.2 line too long";
    public const string NulInCommand = "500 5.5.2 NUL character in command";
    public const string CommandNotUtf8 = "500 5.5.2 command is not valid UTF-8";
    public const string AddressNotUtf8 = "553 5.6.7 address is not valid UTF-8";
    public const string HttpRequest = "554 5.7.0 HTTP request on an SMTP port - closing connection";
    public const string TooBig = "552 5.3.4 Message size exceeds maximum permitted";
    public const string HeaderTooBig = "552 5.3.4 Message header section exceeds maximum permitted";
    public const string MailLoop = "550 5.4.6 Too many \"Received\" headers - suspected mail loop";
    public const string TextLineTooLong = "554 5.6.0 message has lines too long";
    public const string SyncError = "554 5.5.0 SMTP synchronization error";
    public const string TooManyUnknown = "500 5.5.1 too many unrecognized commands";
    public const string LocalError = "451 4.3.0 Local error in processing";
    public const string InsufficientStorage = "452 4.3.1 Insufficient system storage";
    public const string AuthThrottled = "454 4.7.0 Too many failed authentication attempts, try again later";
    public const string ProxyFailed = "503 5.7.0 Command refused, required Proxy negotiation failed";
    public const string Vrfy = "252 2.5.2 Cannot VRFY user; try RCPT to attempt delivery";
    public const string Help = "214 2.0.0 Commands supported: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP";

    /// <summary>The reply to an unrecognized command.</summary>
    public static string Unknown(string verb) => $"500 5.5.1 unrecognized command {Printable(verb)}";

    /// <summary>The text of a reply, with anything unprintable replaced.</summary>
    public static string Printable(string text) =>
        new(text.Take(64).Select(c => c is < ' ' or > '~' ? '?' : c).ToArray());
}
