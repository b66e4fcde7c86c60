namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>tcp:connect</c>: a TCP connection was established, inbound (a client reached ingress)
/// or outbound (delivery reached a server). Stream: the connection.
/// </summary>
/// <param name="ConnectionId">The connection's stream key.</param>
/// <param name="Direction">Inbound or outbound.</param>
/// <param name="HostAddress">The remote address (Exim's <c>$host_address</c>; for inbound, the client; through a SOCKS5 proxy, the proxy, as in Exim).</param>
/// <param name="HostPort">The remote port (<c>$host_port</c>; through a SOCKS5 proxy, the proxy's).</param>
/// <param name="SendingIpAddress">The local address (<c>$sending_ip_address</c>; for inbound, the interface).</param>
/// <param name="SendingPort">The local port (<c>$sending_port</c>).</param>
/// <param name="Host">The remote host name when known (<c>$host</c>), else null.</param>
/// <param name="MessageId">For outbound connections, the message that opened it.</param>
/// <param name="Proxy">Inbound through a PROXY-protocol proxy: the proxy's side (<c>$proxy_session</c> is true when set).</param>
/// <param name="SocksTarget">Outbound through a SOCKS5 proxy: the server it connected to, <c>[address]:port</c>.</param>
/// <param name="ProxyFailure">Inbound from a host in <c>Ingress:HostsProxy</c> whose header was missing or bad: why.</param>
[LifecycleEvent("tcp:connect")]
public sealed record TcpConnected(
    string ConnectionId,
    Direction Direction,
    string HostAddress,
    int HostPort,
    string SendingIpAddress,
    int SendingPort,
    string? Host = null,
    string? MessageId = null,
    ProxySession? Proxy = null,
    string? ProxyFailure = null,
    string? SocksTarget = null);
