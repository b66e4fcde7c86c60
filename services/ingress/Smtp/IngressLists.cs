using Pipeline.Infrastructure.Lists;

namespace Pipeline.Ingress.Smtp;

/// <summary>The host and domain lists of the <c>Ingress</c> section, parsed once for every session.</summary>
public sealed class IngressLists(IngressOptions options)
{
    /// <summary><c>Ingress:RelayFromHosts</c>.</summary>
    public HostList RelayFromHosts { get; } = new(options.RelayFromHostsOrDefault);

    /// <summary><c>Ingress:LocalDomains</c>.</summary>
    public DomainList LocalDomains { get; } = new(options.LocalDomains);

    /// <summary><c>Ingress:HostsProxy</c> with its alias.</summary>
    public HostList ProxyHosts { get; } = new(options.ProxyHosts);

    /// <summary><c>Ingress:TlsAdvertiseHosts</c>, <c>*</c> when not set.</summary>
    public HostList TlsAdvertiseHosts { get; } = new(options.TlsAdvertiseHosts ?? ["*"]);

    /// <summary><c>Ingress:TlsTryVerifyHosts</c>.</summary>
    public HostList TlsTryVerifyHosts { get; } = new(options.TlsTryVerifyHosts);

    /// <summary><c>Ingress:TlsVerifyHosts</c>.</summary>
    public HostList TlsVerifyHosts { get; } = new(options.TlsVerifyHosts);
}
