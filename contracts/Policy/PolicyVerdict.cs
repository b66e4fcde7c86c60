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
/// <param name="Variables">The variables to send with the next checks of this connection (see <see cref="CheckPolicy.Variables"/>); null for no change.</param>
/// <param name="AddHeaders">Header lines to add to the message (Exim's <c>add_header</c>), each a complete <c>Name: value</c>.</param>
/// <param name="RemoveHeaders">
/// At <see cref="PolicyStage.Data"/>: header fields of the client's content to remove, each given by the text its
/// unfolded line starts with, compared without regard to case (a forged <c>Authentication-Results: our.host</c>).
/// </param>
/// <param name="Stages">
/// The stages at which this policy decides anything (an ACL, a fixed verdict, the headers it
/// adds at data): ingress asks at those and at <see cref="PolicyStage.Data"/>, and takes the
/// others as accepted without a request. Null: ask at every stage.
/// </param>
/// <param name="Dmarc">At <see cref="PolicyStage.Data"/>: the message's DMARC evaluation, which ingress keeps in its <c>msg:received</c>.</param>
public sealed record PolicyVerdict(PolicyAction Action, string? Message = null, string? LogMessage = null, string? ContentFilter = null,
    IReadOnlyDictionary<string, string>? Variables = null, IReadOnlyList<string>? AddHeaders = null, IReadOnlyList<string>? RemoveHeaders = null,
    IReadOnlyList<PolicyStage>? Stages = null, Events.DmarcEvaluation? Dmarc = null)
{
    /// <summary>An accept with no text.</summary>
    public static PolicyVerdict Accepted { get; } = new(PolicyAction.Accept);
}
