namespace Pipeline.Contracts.Policy;

/// <summary>
/// Ingress asks policy for a verdict; answered with <see cref="PolicyVerdict"/>. Ingress
/// waits no longer than its deadline and answers 4xx when none came.
/// </summary>
/// <param name="ConnectionId">The inbound connection.</param>
/// <param name="Stage">The stage being checked.</param>
/// <param name="ClientAddress">The client's address (after PROXY, the real client).</param>
/// <param name="ClientPort">The client's port.</param>
/// <param name="Helo">The EHLO/HELO name, when given.</param>
/// <param name="Sender">The envelope sender from MAIL on, empty for the null sender.</param>
/// <param name="Recipient">At <see cref="PolicyStage.Rcpt"/>: the recipient being checked.</param>
/// <param name="Recipients">At <see cref="PolicyStage.Data"/>: the accepted recipients.</param>
/// <param name="Size">At <see cref="PolicyStage.Data"/>: the message size in bytes.</param>
/// <param name="Deadline">When ingress stops waiting; a verdict after it is useless.</param>
/// <param name="Proxy">When the client came through a PROXY-protocol proxy: Exim's <c>$proxy_*</c> values.</param>
/// <param name="ContentFilter">At <see cref="PolicyStage.Data"/>: the content checks the recipients' verdicts named.</param>
/// <param name="AuthenticatedId">The name the client authenticated as (Exim's <c>$authenticated_id</c>), or null.</param>
/// <param name="Variables">
/// What earlier verdicts of this connection set: ACL variables (<c>acl_c_*</c> for the
/// connection, <c>acl_m_*</c> for the message) and results worth keeping such as SPF's, so
/// that any policy worker can answer any check.
/// </param>
/// <param name="Content">At <see cref="PolicyStage.Data"/>: the message as it will be stored, trace header included, for DKIM and DMARC.</param>
public sealed record CheckPolicy(
    string ConnectionId,
    PolicyStage Stage,
    string ClientAddress,
    int ClientPort,
    string? Helo,
    string? Sender,
    string? Recipient,
    IReadOnlyList<string>? Recipients,
    long? Size,
    DateTimeOffset Deadline,
    Events.ProxySession? Proxy = null,
    string? ContentFilter = null,
    string? AuthenticatedId = null,
    IReadOnlyDictionary<string, string>? Variables = null,
    byte[]? Content = null);
