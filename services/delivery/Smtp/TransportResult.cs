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
public sealed record RecipientOutcome(Recipient Recipient, RecipientStatus Status, string Reply);

/// <summary>The outcome of a transaction with one server.</summary>
/// <param name="HostError">
/// Set when the host as a whole could not take the message now (refused greeting, MAIL 4xx,
/// a broken conversation): the recipients should be tried at the next host.
/// </param>
/// <param name="Recipients">Each recipient's outcome, when <see cref="HostError"/> is null.</param>
public sealed record TransportResult(string? HostError, IReadOnlyList<RecipientOutcome> Recipients);
