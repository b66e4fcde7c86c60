using Pipeline.Delivery.Smtp;

namespace Pipeline.Delivery.Tls;

/// <summary>
/// The TLS policy a connection was made under, as SMTP TLS Reporting (RFC 8460 §4.4) names it:
/// its type, its domain and its strings, recorded with each TLS session's outcome.
/// </summary>
public static class TlsReportPolicy
{
    /// <summary>
    /// The policy of a connection made as <paramref name="key"/> says: <c>tlsa</c> when DANE
    /// requires TLS (its domain is then the MX host, the TLSA base domain, RFC 8460 §3, and its
    /// strings the usable records), else <c>sts</c> under an MTA-STS policy (its domain the
    /// recipients', its strings the policy's lines), else <c>no-policy-found</c>, whose domain
    /// is each recipient's (null here).
    /// </summary>
    /// <param name="key">The connection's key.</param>
    public static (string Type, string? Domain, IReadOnlyList<string>? Strings) Of(ConnectionKey key) =>
        key.Dane.RequiresTls
            ? (TlsRptNames.Tlsa, key.HostName, key.Dane.Records.Select(r => r.ToString()).ToList())
            : key.Sts is { } sts
                ? (TlsRptNames.Sts, sts.Domain, sts.Policy.Lines)
                : (TlsRptNames.NoPolicyFound, null, null);
}
