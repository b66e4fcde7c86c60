using Pipeline.Contracts.Events;
using Pipeline.Delivery.Protocol;

namespace Pipeline.Delivery.Smtp;

/// <summary>What happened to one recipient in one transaction.</summary>
public enum RecipientStatus
{
    /// <summary>The server took it.</summary>
    Delivered,

    /// <summary>The server refused it for good (5xx).</summary>
    Failed,

    /// <summary>The server refused it for now (4xx), or the transaction broke.</summary>
    Deferred,
}

/// <summary>One recipient's outcome and the reply that decided it.</summary>
/// <param name="Recipient">The recipient.</param>
/// <param name="Status">Delivered, failed or deferred.</param>
/// <param name="Reply">The server's reply, or the error text when there was none.</param>
/// <param name="Error">For a deferral, its type for the retry rules (<c>rcpt_4xx</c>, <c>data_4xx</c> ...), or null.</param>
public sealed record RecipientOutcome(Recipient Recipient, RecipientStatus Status, string Reply, Retry.RetryError? Error = null);

/// <summary>The outcome of a transaction with one server.</summary>
/// <param name="HostError">
/// Set when the host as a whole could not take the message now (refused greeting, MAIL 4xx,
/// a broken conversation): the recipients should be tried at the next host.
/// </param>
/// <param name="Recipients">Each recipient's outcome, when <see cref="HostError"/> is null.</param>
/// <param name="HostErrorType">The type of <see cref="HostError"/> for the retry rules (<c>mail_4xx</c>, <c>timeout</c> ...), or null.</param>
/// <param name="DsnOffered">
/// True when the server offered DSN (RFC 3461): the recipients' NOTIFY and ORCPT went on with
/// the message, and reporting a success is that server's task from now on; false, a recipient
/// delivered with <c>NOTIFY=SUCCESS</c> gets its sender a <c>relayed</c> notification (§5.2.2).
/// </param>
/// <param name="RequireTlsRefused">
/// True when <see cref="HostError"/> is the session's refusal of a REQUIRETLS message (RFC 8689
/// §4.2.1: not verified TLS, or no REQUIRETLS offered): nothing was sent.
/// </param>
public sealed record TransportResult(string? HostError, IReadOnlyList<RecipientOutcome> Recipients, Retry.RetryError? HostErrorType = null,
    bool DsnOffered = false, bool RequireTlsRefused = false);
