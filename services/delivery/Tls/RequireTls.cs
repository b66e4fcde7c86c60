using Pipeline.Contracts.Events;
using Pipeline.Delivery.Protocol;
using Pipeline.Delivery.Routing;

namespace Pipeline.Delivery.Tls;

/// <summary>What a message itself asks of TLS on its way on (RFC 8689).</summary>
public enum TlsRequest
{
    /// <summary>Nothing: TLS as the options and the recipient's policies say.</summary>
    Default,

    /// <summary>
    /// REQUIRETLS on MAIL (§2, §4.2.1): only over TLS with a verified certificate, only to a
    /// server that offers REQUIRETLS, else no transmission and a bounce.
    /// </summary>
    Required,

    /// <summary>
    /// <c>TLS-Required: No</c> (§3, §4.2.2): the recipient's TLS policies (DANE, MTA-STS) are
    /// not enforced on it; the administrator's own requirements still are.
    /// </summary>
    Optional,
}

/// <summary>
/// RFC 8689, the sender's side: what a message asks of TLS (<see cref="Of"/>), the TLS options
/// that follows for one server (<see cref="Apply"/>), whether a server is known securely enough
/// (<see cref="UnvalidatedHost"/>, §4.2.1 step 1) and whether an open session may carry it
/// (<see cref="Unmet"/>, steps 4 and 5). Pure. Refusals are written as this MTA's own replies
/// (<c>550 5.7.30</c>, <c>550 5.7.10</c>, §4.2.1's status codes) so that the bounce's status
/// and diagnostic say why.
/// </summary>
public static class RequireTls
{
    /// <summary>The status for a server that does not offer REQUIRETLS (§4.2.1, §7: "REQUIRETLS support required").</summary>
    public const string NotSupportedStatus = "5.7.30";

    /// <summary>The status for a path with no TLS session as REQUIRETLS demands (§4.2.1: "Encryption needed", RFC 5248).</summary>
    public const string EncryptionNeededStatus = "5.7.10";

    /// <summary>What <paramref name="message"/> asks: REQUIRETLS wins over the header, which is then ignored (§3).</summary>
    /// <param name="message">The message's <c>msg:received</c>.</param>
    /// <param name="content">Its bytes, for the <c>TLS-Required</c> header field.</param>
    public static TlsRequest Of(MessageReceived message, ReadOnlySpan<byte> content) =>
        message.RequireTls ? TlsRequest.Required
        : TlsRequiredHeader.SaysNo(content) ? TlsRequest.Optional
        : TlsRequest.Default;

    /// <summary>
    /// The TLS options for one server under <paramref name="request"/>. REQUIRETLS: TLS required
    /// and never avoided, the certificate verified with the host's name (unless DANE authenticates
    /// it: <see cref="DeliveryTlsClient"/> then ignores the CA options). <c>TLS-Required: No</c>:
    /// DANE is not tried, so a server's TLSA records do not hold the message back; what the
    /// administrator requires (<c>HostsRequireTls</c>, <c>HostsRequireDane</c>,
    /// <c>HostsRequireOcsp</c>, <c>TlsVerifyHosts</c>) stays as it is.
    /// </summary>
    public static TlsHostPolicy Apply(TlsHostPolicy policy, TlsRequest request) => request switch
    {
        TlsRequest.Required => policy with { Avoid = false, Require = true, Verify = true, CheckName = true },
        TlsRequest.Optional when !policy.RequireDane => policy with { TryDane = false },
        _ => policy,
    };

    /// <summary>
    /// §4.2.1 step 1: the servers of a REQUIRETLS message must be known securely. Hosts from
    /// configuration, from a DNSSEC-validated MX lookup, or the domain itself when it has no MX
    /// (its certificate then has to name the domain) are; a host from MX records that were not
    /// validated is only when the domain's MTA-STS policy names it (RFC 8461 §4.1). Null when
    /// <paramref name="host"/> will do, else the refusal.
    /// </summary>
    public static string? UnvalidatedHost(Route route, RouteHost host)
    {
        if (route.Secure || !host.FromMx || route.Sts?.For(host.Name) is { MxMatches: true })
            return null;
        return EncryptionNeeded($"the MX record naming {host.Name} is neither DNSSEC-validated nor confirmed by an MTA-STS policy");
    }

    /// <summary>
    /// §4.2.1 steps 4 and 5 on an open session: null when it may carry a REQUIRETLS message (TLS,
    /// the certificate verified or DANE-authenticated, and REQUIRETLS in the EHLO reply that
    /// followed STARTTLS), else the refusal.
    /// </summary>
    /// <param name="tls">The session's TLS, or null in the clear.</param>
    /// <param name="hello">The server's EHLO reply (after STARTTLS); null after HELO.</param>
    public static string? Unmet(TlsSessionInfo? tls, SmtpReply? hello)
    {
        if (tls is null)
            return EncryptionNeeded("the session is not under TLS");
        if (!tls.Verified && !tls.Dane)
            return EncryptionNeeded("the server's certificate was not verified");
        if (hello?.Lines.Skip(1).Any(l => l.Equals("REQUIRETLS", StringComparison.OrdinalIgnoreCase)) != true)
            return $"550 {NotSupportedStatus} REQUIRETLS support required: the server does not offer REQUIRETLS";
        return null;
    }

    /// <summary>A refusal for want of a TLS session as REQUIRETLS demands, saying <paramref name="why"/>.</summary>
    public static string EncryptionNeeded(string why) => $"550 {EncryptionNeededStatus} REQUIRETLS: encryption needed: {why}";
}
