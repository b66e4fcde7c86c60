using System.Net;

namespace Pipeline.Delivery.Routing;

/// <summary>Where a recipient goes: the router that decided and the hosts to try in order.</summary>
/// <param name="RouterName">Exim's <c>$router_name</c>: <c>route</c> or <c>dnslookup</c>.</param>
/// <param name="Hosts">The hosts, in the order to try them.</param>
/// <param name="Secure">
/// True when the hosts are known securely: from configuration, or from a DNSSEC-validated MX
/// lookup; DANE needs it (RFC 7672 §2.2.1).
/// </param>
/// <param name="Interfaces">The local addresses to send from; empty: the system chooses.</param>
public sealed record Route(string RouterName, IReadOnlyList<RouteHost> Hosts, bool Secure = false, IReadOnlyList<IPAddress>? Interfaces = null)
{
    /// <summary>Recipients with equal keys can share a transaction.</summary>
    public string Key => $"{RouterName}|{string.Join(',', Hosts.Select(h => $"{h.Name}:{h.Port}"))}|{string.Join(',', Interfaces ?? [])}";

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
public sealed record RouteHost(string Name, int Port, bool DnssecAuthenticated = false);

/// <summary>The outcome of routing one recipient.</summary>
/// <param name="Route">The route, when one was found.</param>
/// <param name="Error">Why not, when none was.</param>
/// <param name="Temporary">True when the failure may pass (DNS trouble), false when it is final.</param>
public sealed record RoutingResult(Route? Route, string? Error = null, bool Temporary = false);
