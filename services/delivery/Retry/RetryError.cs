using System.Globalization;
using System.Net.Sockets;
using Pipeline.Delivery.Protocol;

namespace Pipeline.Delivery.Retry;

/// <summary>What kind of temporary error deferred a recipient: the error names of Exim's retry rules.</summary>
public enum RetryErrorKind
{
    /// <summary>None of the others: matched only by <c>*</c>.</summary>
    Other,

    /// <summary><c>refused</c>: the server refused the TCP connection.</summary>
    Refused,

    /// <summary><c>timeout_connect</c>: the TCP connection was not made in time.</summary>
    ConnectTimeout,

    /// <summary><c>timeout</c> (without <c>_connect</c>): the server did not answer in time during the session.</summary>
    Timeout,

    /// <summary><c>lost_connection</c>: the server closed the connection unexpectedly.</summary>
    LostConnection,

    /// <summary><c>mail_4xx</c>: a 4xx reply to MAIL.</summary>
    Mail,

    /// <summary><c>rcpt_4xx</c>: a 4xx reply to RCPT.</summary>
    Rcpt,

    /// <summary><c>data_4xx</c>: a 4xx reply to DATA or BDAT, or after the data.</summary>
    Data,

    /// <summary><c>auth_failed</c>: the server refused the route's credentials, or they could not be sent.</summary>
    AuthFailed,

    /// <summary><c>tls_required</c>: TLS was required and the server did not offer it, refused it, or the session failed.</summary>
    TlsRequired,

    /// <summary><c>lookup</c>: a DNS lookup for the domain or a host failed for now.</summary>
    Lookup,
}

/// <summary>
/// The error type of one deferral (Exim specification, "Retry rules for specific errors"), which
/// chooses the retry rule together with the recipient and host.
/// </summary>
/// <param name="Kind">The kind of error.</param>
/// <param name="Code">The SMTP reply code for <c>mail_</c>, <c>rcpt_</c> and <c>data_</c> errors, else 0.</param>
/// <param name="FromMx">
/// True when the host came from an MX record (Exim's <c>_MX</c> and <c>_A</c> suffixes); set by
/// the attempt, which knows the host.
/// </param>
public sealed record RetryError(RetryErrorKind Kind, int Code = 0, bool FromMx = false)
{
    /// <summary>An error of no particular type.</summary>
    public static readonly RetryError Other = new(RetryErrorKind.Other);

    /// <summary>The error of a failed TCP connection: refused, timed out, or another.</summary>
    public static RetryError Connect(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => new RetryError(RetryErrorKind.Refused),
        SocketError.TimedOut => new RetryError(RetryErrorKind.ConnectTimeout),
        _ => Other,
    };

    /// <summary>The error of a broken conversation: a timeout, a lost connection, or another.</summary>
    public static RetryError Broken(SmtpProtocolException e) => e.Failure switch
    {
        SmtpProtocolFailure.Timeout => new RetryError(RetryErrorKind.Timeout),
        SmtpProtocolFailure.LostConnection => new RetryError(RetryErrorKind.LostConnection),
        _ => Other,
    };

    /// <summary>True for errors of one recipient, whose rule is chosen by the whole address (Exim's address errors).</summary>
    public bool IsAddressError => Kind == RetryErrorKind.Rcpt;

    /// <summary>Exim's most specific name of the error, as the history records it: <c>rcpt_451</c>, <c>refused_MX</c>, <c>timeout_A</c> ...</summary>
    public override string ToString()
    {
        var where = FromMx ? "MX" : "A";
        return Kind switch
        {
            RetryErrorKind.Refused => $"refused_{where}",
            RetryErrorKind.ConnectTimeout => $"timeout_connect_{where}",
            RetryErrorKind.Timeout => $"timeout_{where}",
            RetryErrorKind.LostConnection => "lost_connection",
            RetryErrorKind.Mail => "mail_" + Code.ToString(CultureInfo.InvariantCulture),
            RetryErrorKind.Rcpt => "rcpt_" + Code.ToString(CultureInfo.InvariantCulture),
            RetryErrorKind.Data => "data_" + Code.ToString(CultureInfo.InvariantCulture),
            RetryErrorKind.AuthFailed => "auth_failed",
            RetryErrorKind.TlsRequired => "tls_required",
            RetryErrorKind.Lookup => "lookup",
            _ => "*",
        };
    }
}
