using System.Net;
using Pipeline.Delivery.Sts;

namespace Pipeline.Delivery.Routing;

/// <summary>Where a recipient goes: the router that decided and the hosts to try in order.</summary>
/// <param name="RouterName">Exim's <c>$router_name</c>: <c>route</c> or <c>dnslookup</c>.</param>
/// <param name="Hosts">The hosts, in the order to try them.</param>
/// <param name="Secure">
/// True when the hosts are known securely: from configuration, or from a DNSSEC-validated MX
/// lookup; DANE needs it (RFC 7672 §2.2.1).
/// </param>
/// <param name="Interfaces">The local addresses to send from; empty: the system chooses.</param>
/// <param name="Sts">
/// The MTA-STS policy of the recipients' domain (RFC 8461) when one is in force: a route with
/// one carries only that domain's recipients.
/// </param>
/// <param name="Auth">The credentials for SMTP AUTH with the route's hosts (<c>Delivery:Routes:N:AuthUser</c>), or null.</param>
public sealed record Route(string RouterName, IReadOnlyList<RouteHost> Hosts, bool Secure = false, IReadOnlyList<IPAddress>? Interfaces = null,
    StsDiscovery? Sts = null, Smtp.SmtpCredentials? Auth = null)
{
    /// <summary>
    /// Recipients with equal keys share a transaction: the same router, interfaces and hosts,
    /// where hosts of equal preference count as the same in any order (Exim's same_hosts), so
    /// that two domains whose equal MX hosts were shuffled differently still go together. A
    /// domain under an MTA-STS policy goes alone: its recipients are delivered under its policy.
    /// </summary>
    public string Key =>
        $"{RouterName}|{string.Join(',', Hosts.GroupBy(h => h.Preference).Select(g => string.Join('+', g.Select(h => $"{h.Name.ToLowerInvariant()}:{h.Port}").Order(StringComparer.Ordinal))))}|{string.Join(',', Interfaces ?? [])}{(Sts is { InForce: true } sts ? $"|sts:{sts.Domain}" : "")}{(Auth is null ? "" : $"|auth:{Auth.User}")}";

    /// <summary>The local address to reach <paramref name="server"/> from: the first interface of its family, or null.</summary>
    public IPAddress? InterfaceFor(IPAddress server) => Interfaces?.FirstOrDefault(i => i.AddressFamily == server.AddressFamily);
}

/// <summary>A host to deliver to: a name or address literal, and a port.</summary>
/// <param name="Name">A host name or IP address.</param>
/// <param name="Port">The port.</param>
/// <param name="DnssecAuthenticated">
/// Once resolved: true when the route and the host's address lookup were DNSSEC-validated
/// (Exim's <c>$lookup_dnssec_authenticated</c>).
/// </param>
/// <param name="Preference">
/// The MX preference; a route's hosts count their place in its list, so none are equal.
/// </param>
/// <param name="FromMx">True for a host taken from an MX record (the retry errors' <c>_MX</c>), false otherwise (<c>_A</c>).</param>
public sealed record RouteHost(string Name, int Port, bool DnssecAuthenticated = false, int Preference = 0, bool FromMx = false);

/// <summary>The outcome of routing one recipient.</summary>
/// <param name="Route">The route, when one was found.</param>
/// <param name="Error">Why not, when none was.</param>
/// <param name="Temporary">True when the failure may pass (DNS trouble), false when it is final.</param>
public sealed record RoutingResult(Route? Route, string? Error = null, bool Temporary = false);
