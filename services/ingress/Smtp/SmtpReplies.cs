using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Smtp;

/// <summary>
/// The fixed replies of the server (RFC 5321 §4.2), worded as Exim words them, with the
/// enhanced status codes of RFC 3463 (left out for clients that did not say EHLO): the table
/// of what ingress refuses and why. docs/reliability.md lists which input meets which.
/// </summary>
public static class SmtpReplies
{
    public static readonly SmtpReply Ok = new(250, "2.0.0", "OK");
    public static readonly SmtpReply SenderOk = new(250, "2.1.0", "OK");
    public static readonly SmtpReply RecipientOk = new(250, "2.1.5", "Accepted");
    public static readonly SmtpReply StartData = new(354, null, "Enter message, ending with \".\" on a line by itself");
    public static readonly SmtpReply HeloFirst = new(503, "5.5.1", "HELO or EHLO required first");
    public static readonly SmtpReply NestedMail = new(503, "5.5.1", "sender already given");
    public static readonly SmtpReply NoSender = new(503, "5.5.1", "sender not yet given");
    public static readonly SmtpReply NoRecipients = new(503, "5.5.1", "valid RCPT command must precede DATA");
    public static readonly SmtpReply NoRecipientsBdat = new(503, "5.5.1", "valid RCPT command must precede BDAT");
    public static readonly SmtpReply DataAfterBdat = new(503, "5.5.1", "DATA is not allowed after BDAT");
    public static readonly SmtpReply TooManyRecipients = new(452, "4.5.3", "too many recipients");
    public static readonly SmtpReply DifferentContentChecks = new(451, "4.5.3", "this recipient's mail is checked differently; send it in a separate transaction");
    public static readonly SmtpReply RelayNotPermitted = new(550, "5.7.1", "relay not permitted");
    public static readonly SmtpReply NeedsSmtpUtf8 = new(553, "5.6.7", "non-ASCII address requires SMTPUTF8");
    public static readonly SmtpReply LineTooLong = new(500, "5.5.2", "line too long");
    public static readonly SmtpReply NulInCommand = new(500, "5.5.2", "NUL character in command");
    public static readonly SmtpReply CommandNotUtf8 = new(500, "5.5.2", "command is not valid UTF-8");
    public static readonly SmtpReply AddressNotUtf8 = new(553, "5.6.7", "address is not valid UTF-8");
    public static readonly SmtpReply HttpRequest = new(554, "5.7.0", "HTTP request on an SMTP port - closing connection");
    public static readonly SmtpReply TooBig = new(552, "5.3.4", "Message size exceeds maximum permitted");
    public static readonly SmtpReply HeaderTooBig = new(552, "5.3.4", "Message header section exceeds maximum permitted");
    public static readonly SmtpReply MailLoop = new(550, "5.4.6", "Too many \"Received\" headers - suspected mail loop");
    public static readonly SmtpReply TextLineTooLong = new(554, "5.6.0", "message has lines too long");
    public static readonly SmtpReply SyncError = new(554, "5.5.0", "SMTP synchronization error");
    public static readonly SmtpReply TooManyUnknown = new(500, "5.5.1", "too many unrecognized commands");
    public static readonly SmtpReply LocalError = new(451, "4.3.0", "Local error in processing");
    public static readonly SmtpReply InsufficientStorage = new(452, "4.3.1", "Insufficient system storage");
    public static readonly SmtpReply AuthThrottled = new(454, "4.7.0", "Too many failed authentication attempts, try again later");
    public static readonly SmtpReply ProxyFailed = new(503, "5.7.0", "Command refused, required Proxy negotiation failed");
    public static readonly SmtpReply Vrfy = new(252, "2.5.2", "Cannot VRFY user; try RCPT to attempt delivery");
    public static readonly SmtpReply Help = new(214, "2.0.0", "Commands supported: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP");

    public static readonly SmtpReply StartTlsNotOffered = new(503, "5.5.1", "STARTTLS command used when not advertised");
    public static readonly SmtpReply AlreadyTls = new(554, "5.5.1", "Already in TLS");
    public static readonly SmtpReply NoParametersAllowed = new(501, "5.5.4", "syntax error (no parameters allowed)");
    public static readonly SmtpReply TlsGoAhead = new(220, "2.0.0", "TLS go ahead");
    public static readonly SmtpReply AuthNotOffered = new(503, "5.5.1", "AUTH command used when not advertised");
    public static readonly SmtpReply AlreadyAuthenticated = new(503, "5.5.1", "already authenticated");
    public static readonly SmtpReply AuthInTransaction = new(503, "5.5.1", "AUTH not allowed during a mail transaction");
    public static readonly SmtpReply UnknownMechanism = new(504, "5.5.4", "Unrecognized authentication type");
    public static readonly SmtpReply AuthFailed = new(535, "5.7.8", "Incorrect authentication data");
    public static readonly SmtpReply AuthSucceeded = new(235, "2.7.0", "Authentication succeeded");
    public static readonly SmtpReply AuthCancelled = new(501, "5.7.0", "Authentication cancelled");
    public static readonly SmtpReply InvalidBase64 = new(501, "5.5.2", "Invalid base64 data");
    public static readonly SmtpReply BadBdat = new(501, "5.5.4", $"syntax: {BdatArgument.Syntax}");
    public static readonly SmtpReply ParametersNeedEhlo = new(555, "5.5.4", "parameters need EHLO");
    public static readonly SmtpReply NoRecipientsAccepted = new(550, "5.7.1", "No recipients accepted");
    public static readonly SmtpReply DeniedByPolicy = new(550, "5.7.1", "Administrative prohibition");
    public static readonly SmtpReply DeferredByPolicy = new(451, "4.7.1", "Temporary local problem - please try later");

    /// <summary>A HELO or EHLO without the one argument it needs.</summary>
    public static SmtpReply HeloSyntax(string verb) => new(501, "5.5.4", $"Syntactically invalid {verb} argument(s)");

    /// <summary>A MAIL whose reverse-path does not parse.</summary>
    public static SmtpReply BadSender(string why) => new(501, "5.1.7", Printable(why));

    /// <summary>A RCPT whose forward-path does not parse.</summary>
    public static SmtpReply BadRecipient(string why) => new(501, "5.1.3", Printable(why));

    /// <summary>The greeting.</summary>
    public static SmtpReply Greeting(string banner) => new(220, null, banner);

    /// <summary>The reply to QUIT.</summary>
    public static SmtpReply Closing(string host) => new(221, "2.0.0", $"{host} closing connection");

    /// <summary>A message taken: stored, with the id it is known by.</summary>
    public static SmtpReply Queued(string messageId) => new(250, "2.0.0", $"OK id={messageId}");

    /// <summary>A BDAT chunk taken (RFC 3030 §2).</summary>
    public static SmtpReply ChunkReceived(long size) => new(250, "2.0.0", $"{size} octets received");

    /// <summary>The client sent nothing for the whole timeout.</summary>
    public static SmtpReply DataTimeout(string host) => new(421, "4.4.2", $"{host} SMTP incoming data timeout - closing connection");

    /// <summary>The server is shutting down or failed.</summary>
    public static SmtpReply ServiceUnavailable(string host) => new(421, "4.3.2", $"{host} Service not available - closing connection");

    /// <summary>Past <c>Ingress:SmtpAcceptMax</c>.</summary>
    public static SmtpReply TooManyConnections(string host) => new(421, "4.3.2", $"{host} Too many concurrent SMTP connections; please try again later");

    /// <summary>Past <c>Ingress:SmtpAcceptMaxPerHost</c>.</summary>
    public static SmtpReply TooManyConnectionsFromHost(string host) =>
        new(421, "4.7.0", $"{host} Too many concurrent SMTP connections from this IP address; please try again later");

    /// <summary>The reply to an unrecognized command.</summary>
    public static SmtpReply Unknown(string verb) => new(500, "5.5.1", $"unrecognized command {Printable(verb)}");

    /// <summary>The text of a reply, with anything unprintable replaced.</summary>
    public static string Printable(string text) =>
        new(text.Take(64).Select(c => c is < ' ' or > '~' ? '?' : c).ToArray());
}
