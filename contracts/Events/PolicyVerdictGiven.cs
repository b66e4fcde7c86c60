using Pipeline.Contracts.Policy;

namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>policy:verdict</c>: policy answered a check of ingress, or ingress gave up waiting
/// (then <see cref="Verdict"/> is <c>Defer</c> and <see cref="TimedOut"/> is true).
/// Stream: the connection.
/// </summary>
/// <param name="ConnectionId">The inbound connection.</param>
/// <param name="Stage">The SMTP stage checked.</param>
/// <param name="Verdict">What policy decided.</param>
/// <param name="Reply">The SMTP reply ingress sent, e.g. <c>550 5.7.1 relay not permitted</c>.</param>
/// <param name="Sender">The envelope sender, when known.</param>
/// <param name="Recipient">The recipient checked, at the RCPT stage.</param>
/// <param name="TimedOut">True when no verdict arrived before the deadline.</param>
[LifecycleEvent("policy:verdict")]
public sealed record PolicyVerdictGiven(
    string ConnectionId,
    PolicyStage Stage,
    PolicyAction Verdict,
    string Reply,
    string? Sender = null,
    string? Recipient = null,
    bool TimedOut = false);
