using System.Net;
using Pipeline.Infrastructure.Dns;
using Pipeline.Infrastructure.Hosting;
using Pipeline.Infrastructure.Lists;

namespace Pipeline.Delivery.Routing;

/// <summary>
/// Routes a recipient's domain: first <c>Delivery:Routes</c> (Exim's manualroute), then MX
/// (Exim's dnslookup, RFC 5321 §5.1: MX hosts by preference, the domain itself when it has
/// no MX).
/// </summary>
public sealed class Router
{
    private readonly IReadOnlyList<(DomainList Domains, IReadOnlyList<RouteHost> Hosts, IReadOnlyList<IPAddress> Interfaces, Smtp.SmtpCredentials? Auth)> _table;
    private readonly IReadOnlyList<IPAddress> _interfaces;
    private readonly IDnsResolver _dns;
    private readonly int _defaultPort;

    /// <summary>Builds the router from the options.</summary>
    /// <exception cref="FormatException">A route's domain list or host is malformed.</exception>
    public Router(DeliveryOptions options, IDnsResolver dns)
    {
        _dns = dns;
        _defaultPort = options.Port;
        _interfaces = options.Interface.Select(IPAddress.Parse).ToList();
        _table = options.Routes
            .Select(r => (new DomainList(r.Domains), (IReadOnlyList<RouteHost>)r.Hosts.Select((h, i) => ParseHost(h) with { Preference = i }).ToList(),
                r.Interface is null ? _interfaces : (IReadOnlyList<IPAddress>)r.Interface.Select(IPAddress.Parse).ToList(),
                r.AuthUser is null ? null : new Smtp.SmtpCredentials(r.AuthUser, r.AuthPassword ?? "")))
            .ToList();
    }

    /// <summary>
    /// Finds the hosts for <paramref name="domain"/>. MX hosts of equal preference come in a
    /// new random order at each call: a caller routes each domain once per attempt, so that all
    /// its recipients share one order, and one transaction.
    /// </summary>
    public async Task<RoutingResult> RouteAsync(string domain, CancellationToken cancellationToken)
    {
        foreach (var (domains, hosts, interfaces, auth) in _table)
        {
            if (domains.Contains(domain))
                return new RoutingResult(new Route("route", hosts, Secure: true, interfaces, Auth: auth));
        }

        if (domain.StartsWith('[') && domain.EndsWith(']'))
            return new RoutingResult(null, "domain literals are not routed");

        var mx = await _dns.GetMxAsync(domain, cancellationToken).ConfigureAwait(false);
        switch (mx.Status)
        {
            case DnsStatus.Found:
                // RFC 7505: a single MX of "." means the domain takes no mail.
                if (mx.Records.Count == 1 && mx.Records[0].Exchange is "" or ".")
                    return new RoutingResult(null, "domain has a null MX (RFC 7505): it accepts no mail");
                var ordered = mx.Records
                    .GroupBy(r => r.Preference)
                    .OrderBy(g => g.Key)
                    .SelectMany(g => g.OrderBy(_ => Random.Shared.Next()))
                    .Select(r => new RouteHost(r.Exchange, _defaultPort, Preference: r.Preference, FromMx: true))
                    .ToList();
                return new RoutingResult(new Route("dnslookup", ordered, mx.Authenticated, _interfaces));
            case DnsStatus.NoData:
                // RFC 5321 §5.1: no MX, so the domain is its own implicit MX.
                return new RoutingResult(new Route("dnslookup", [new RouteHost(domain, _defaultPort)], mx.Authenticated, _interfaces));
            case DnsStatus.NameNotFound:
                return new RoutingResult(null, "Unrouteable address");
            default:
                return new RoutingResult(null, $"DNS lookup of MX for {domain} failed: {mx.Error}", Temporary: true);
        }
    }

    /// <summary>The TLSA records for <paramref name="host"/>, at <c>_port._tcp.name</c> (RFC 7672 §2.2.3).</summary>
    public Task<DnsResult<TlsaRecord>> TlsaAsync(RouteHost host, CancellationToken cancellationToken) =>
        _dns.GetTlsaAsync($"_{host.Port}._tcp.{host.Name}", cancellationToken);

    /// <summary>The addresses of a host: itself when it is an IP literal, else from DNS.</summary>
    public async Task<DnsResult<IPAddress>> ResolveAsync(RouteHost host, CancellationToken cancellationToken) =>
        IPAddress.TryParse(host.Name, out var literal)
            ? new DnsResult<IPAddress>(DnsStatus.Found, [literal], false)
            : await _dns.GetAddressesAsync(host.Name, cancellationToken).ConfigureAwait(false);

    private RouteHost ParseHost(string text)
    {
        var value = text.Trim();
        if (IPAddress.TryParse(value.Trim('[', ']'), out var bare))
            return new RouteHost(bare.ToString(), _defaultPort);
        if (value.StartsWith('['))
        {
            var endPoint = EndPoints.Parse(value);
            return new RouteHost(endPoint.Address.ToString(), endPoint.Port);
        }

        var colon = value.IndexOf(':');
        if (colon < 0)
            return value.Length > 0 ? new RouteHost(value, _defaultPort) : throw new FormatException("empty route host");
        if (int.TryParse(value[(colon + 1)..], out var port) && port is > 0 and < 65536 && colon > 0)
            return new RouteHost(value[..colon], port);
        throw new FormatException($"route host '{text}': expected host, host:port or [address]:port");
    }
}
