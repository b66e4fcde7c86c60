using System.Net;
using System.Net.NetworkInformation;
using Pipeline.Infrastructure.Dns;
using Pipeline.Infrastructure.Hosting;

namespace Pipeline.Delivery.Routing;

/// <summary>
/// Tells whether a route or MX host is this MTA (Exim's "self"): its name is in
/// <c>Delivery:HostsTreatAsLocal</c>, or one of its addresses with its port is one on which
/// this process's ingress listens. A listener on every address (<c>*:25</c>) counts the
/// loopback addresses and those of this machine's interfaces. Another port on the same address
/// is another server: a route to a sink beside the pipeline stays a route.
/// </summary>
public sealed class LocalHost
{
    private readonly DeliveryOptions _options;
    private readonly IReadOnlyList<IPEndPoint> _listeners;
    private readonly Lazy<HashSet<IPAddress>> _interfaceAddresses = new(InterfaceAddresses);

    /// <summary>Uses the listeners of ingress when it runs in this process (null: none).</summary>
    public LocalHost(DeliveryOptions options, SmtpListeners? listeners)
    {
        _options = options;
        _listeners = listeners?.EndPoints.Select(e => new IPEndPoint(e.Address.Unmapped(), e.Port)).ToList() ?? [];
    }

    /// <summary>Why <paramref name="host"/> with the addresses it resolved to is this MTA, or null when it is not.</summary>
    public string? Why(RouteHost host, DnsResult<IPAddress> addresses)
    {
        if (_options.TreatAsLocal.Contains(host.Name))
            return $"{host.Name} is in Delivery:HostsTreatAsLocal";
        if (addresses.Status != DnsStatus.Found)
            return null;
        foreach (var address in addresses.Records.Select(a => a.Unmapped()))
        {
            if (_listeners.Any(l => l.Port == host.Port && Covers(l.Address, address)))
                return $"{host.Name} [{address}]:{host.Port} is where this MTA's ingress listens";
        }

        return null;
    }

    private bool Covers(IPAddress listening, IPAddress address) =>
        listening.Equals(IPAddress.Any) || listening.Equals(IPAddress.IPv6Any)
            ? IPAddress.IsLoopback(address) || _interfaceAddresses.Value.Contains(address)
            : listening.Equals(address);

    private static HashSet<IPAddress> InterfaceAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Select(u => u.Address.Unmapped())
                .ToHashSet();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }
}
