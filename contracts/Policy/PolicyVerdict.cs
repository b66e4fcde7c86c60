namespace Pipeline.Contracts.Policy;

/// <summary>Policy's answer to <see cref="CheckPolicy"/>.</summary>
/// <param name="Action">Accept, deny or defer.</param>
/// <param name="Message">The text for the SMTP reply (Exim's <c>message =</c>), or null for the default.</param>
/// <param name="LogMessage">A text for the log only (Exim's <c>log_message =</c>).</param>
/// <param name="ContentFilter">
/// At <see cref="PolicyStage.Rcpt"/>: the name of the content checks this recipient's mail
/// must get at the end of data, null for the default ones. Recipients with different names
/// cannot share one message unless the client uses PRDR; ingress defers the later ones.
/// </param>
public sealed record PolicyVerdict(PolicyAction Action, string? Message = null, string? LogMessage = null, string? ContentFilter = null)
{
    /// <summary>An accept with no text.</summary>
    public static PolicyVerdict Accepted { get; } = new(PolicyAction.Accept);
}
