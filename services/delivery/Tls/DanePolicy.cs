using Pipeline.Delivery.Routing;
using Pipeline.Infrastructure.Dns;

namespace Pipeline.Delivery.Tls;

/// <summary>What DANE decided for one server: its requirement, or why the server must not be used now.</summary>
/// <param name="Requirement">What the connection must satisfy; null when <paramref name="Error"/> is set.</param>
/// <param name="Error">Why the server is deferred (the <c>dane:fail</c> text), or null.</param>
/// <param name="ResultType">With <paramref name="Error"/>, the failure as TLS reports name it (<see cref="TlsRptNames"/>).</param>
/// <param name="Tlsa">With <paramref name="Error"/>, the TLSA records found, in zone-file form, for the report's <c>policy-string</c>.</param>
public sealed record DaneDecision(DaneRequirement? Requirement, string? Error = null, string? ResultType = null, IReadOnlyList<string>? Tlsa = null);

/// <summary>
/// RFC 7672 §2.2, "TLS discovery", for one server of a route: from the TLS options in force for
/// it, whether its MX and address lookups were DNSSEC-validated, and the answer to its TLSA
/// lookup. Pure: the lookup is the caller's.
/// </summary>
public static class DanePolicy
{
    /// <summary>True when the server's TLSA records are worth looking up.</summary>
    public static bool WantsTlsa(TlsHostPolicy policy, bool eligible) => eligible && (policy.TryDane || policy.RequireDane);

    /// <summary>Decides for <paramref name="host"/>.</summary>
    /// <param name="policy">The TLS options in force for the server (<c>HostsTryDane</c>, <c>HostsRequireDane</c>).</param>
    /// <param name="host">The server's host, for <c>_port._tcp.name</c> in messages.</param>
    /// <param name="eligible">True when the route and the host's addresses were DNSSEC-validated (RFC 7672 §2.2.1).</param>
    /// <param name="tlsa">The TLSA lookup's answer; null when none was made.</param>
    public static DaneDecision Decide(TlsHostPolicy policy, RouteHost host, bool eligible, DnsResult<TlsaRecord>? tlsa)
    {
        if (!policy.TryDane && !policy.RequireDane)
            return new DaneDecision(DaneRequirement.None);
        var name = $"_{host.Port}._tcp.{host.Name}";
        if (!eligible || tlsa is null)
            return policy.RequireDane
                ? new DaneDecision(null, $"dane-required: the lookups of {host.Name} were not DNSSEC-validated", TlsRptNames.DaneRequired, [])
                : new DaneDecision(DaneRequirement.None);

        // Any lookup error: a temporary failure (§2.2).
        if (tlsa.Status == DnsStatus.TemporaryFailure)
            return new DaneDecision(null, $"tlsa-lookup: the TLSA lookup for {name} failed ({tlsa.Error})", TlsRptNames.DnssecInvalid, []);

        // A secure, non-empty record set: TLS is required, authenticated by its usable records;
        // with none usable, TLS without authentication (§2.2).
        if (tlsa.Status == DnsStatus.Found && tlsa.Authenticated && tlsa.Records.Count > 0)
        {
            var usable = DaneVerifier.Usable(tlsa.Records);
            if (usable.Count > 0)
                return new DaneDecision(DaneRequirement.Authenticate(usable));
            return policy.RequireDane
                ? new DaneDecision(null, $"dane-required: {name} has no usable TLSA records ({string.Join(", ", tlsa.Records)})",
                    TlsRptNames.TlsaInvalid, tlsa.Records.Select(r => r.ToString()).ToList())
                : new DaneDecision(DaneRequirement.TlsOnly);
        }

        // Insecure records, or a validated denial that any exist: pre-DANE opportunistic TLS.
        return policy.RequireDane
            ? new DaneDecision(null, $"dane-required: {name} has no usable DNSSEC-validated TLSA records", TlsRptNames.DaneRequired,
                tlsa.Records.Select(r => r.ToString()).ToList())
            : new DaneDecision(DaneRequirement.None);
    }
}
