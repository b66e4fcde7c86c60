namespace Pipeline.Contracts.Events;

/// <summary>
/// How a connection came through a proxy speaking the PROXY protocol, with Exim's variable
/// names: the client's real address is the connection's host address; these are the proxy's.
/// </summary>
/// <param name="ExternalAddress">The proxy's address the client connected to (<c>$proxy_external_address</c>; Exim 4.84: <c>$proxy_target_address</c>).</param>
/// <param name="ExternalPort">Its port (<c>$proxy_external_port</c>; 4.84: <c>$proxy_target_port</c>).</param>
/// <param name="LocalAddress">The proxy's address as ingress sees it: the TCP peer (<c>$proxy_local_address</c>; 4.84: <c>$proxy_host_address</c>).</param>
/// <param name="LocalPort">Its port (<c>$proxy_local_port</c>; 4.84: <c>$proxy_host_port</c>).</param>
/// <param name="Version">The PROXY protocol version, 1 or 2.</param>
/// <param name="Alpn">v2 PP2_TYPE_ALPN, when sent.</param>
/// <param name="Authority">v2 PP2_TYPE_AUTHORITY (the name the client asked for), when sent.</param>
/// <param name="UniqueId">v2 PP2_TYPE_UNIQUE_ID, hex, when sent.</param>
/// <param name="TlsVersion">v2 PP2_TYPE_SSL: the TLS version between client and proxy, when sent.</param>
/// <param name="TlsCommonName">v2 PP2_TYPE_SSL: the client certificate's common name, when sent.</param>
public sealed record ProxySession(
    string ExternalAddress,
    int ExternalPort,
    string LocalAddress,
    int LocalPort,
    int Version,
    string? Alpn = null,
    string? Authority = null,
    string? UniqueId = null,
    string? TlsVersion = null,
    string? TlsCommonName = null);
