namespace Pipeline.Contracts.Events;

/// <summary>
/// A recipient the message was not accepted for, although others were: with PRDR, policy's
/// verdict at end of data refused (5xx) or deferred (4xx) it alone.
/// </summary>
/// <param name="Recipient">The recipient.</param>
/// <param name="Reply">The reply the client got for it.</param>
public sealed record RefusedRecipient(Recipient Recipient, string Reply);
