using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pipeline.Delivery.Socks;

/// <summary>
/// The client side of a SOCKS5 CONNECT (RFC 1928) on a stream already connected to the
/// proxy, with username/password authentication (RFC 1929) when the proxy is configured for
/// it. Every failure throws <see cref="SocksException"/> with the proxy's own reason.
/// </summary>
public static class Socks5Handshake
{
    private const byte Version = 5;
    private const byte NoAuthentication = 0x00;
    private const byte UserNamePassword = 0x02;
    private const byte NoAcceptableMethod = 0xFF;
    private const byte Connect = 0x01;
    private const byte IPv4 = 0x01;
    private const byte DomainName = 0x03;
    private const byte IPv6 = 0x04;

    /// <summary>Asks the proxy to connect to <paramref name="target"/>; on return the stream carries the target's bytes.</summary>
    public static async Task ConnectAsync(Stream stream, SocksProxy proxy, IPEndPoint target, CancellationToken cancellationToken)
    {
        // Offer only what is configured: a proxy set up for a password must not be let
        // through without one, nor a password sent to a proxy that did not ask for it.
        byte[] greeting = proxy.Authenticates ? [Version, 1, UserNamePassword] : [Version, 1, NoAuthentication];
        await stream.WriteAsync(greeting, cancellationToken).ConfigureAwait(false);
        var choice = await ReadExactlyAsync(stream, 2, cancellationToken).ConfigureAwait(false);
        if (choice[0] != Version)
            throw new SocksException($"proxy {proxy} does not speak SOCKS5 (version {choice[0]})");
        if (choice[1] == NoAcceptableMethod)
            throw new SocksException($"proxy {proxy} accepts none of the offered authentication methods ({(proxy.Authenticates ? "username/password" : "none")})");
        if (choice[1] != greeting[2])
            throw new SocksException($"proxy {proxy} chose authentication method {choice[1]}, which was not offered");

        if (proxy.Authenticates)
            await AuthenticateAsync(stream, proxy, cancellationToken).ConfigureAwait(false);

        var address = target.Address.GetAddressBytes();
        var request = new byte[6 + address.Length];
        request[0] = Version;
        request[1] = Connect;
        request[3] = target.AddressFamily == AddressFamily.InterNetworkV6 ? IPv6 : IPv4;
        address.CopyTo(request, 4);
        request[^2] = (byte)(target.Port >> 8);
        request[^1] = (byte)target.Port;
        await stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);

        var reply = await ReadExactlyAsync(stream, 4, cancellationToken).ConfigureAwait(false);
        if (reply[0] != Version)
            throw new SocksException($"proxy {proxy} answered the connect request with version {reply[0]}");
        if (reply[1] != 0)
            throw new SocksException($"proxy {proxy} could not connect to [{target.Address}]:{target.Port}: {Describe(reply[1])}", reply[1]);

        // The bound address the proxy reports is of no use here, but must be read off the stream.
        var boundLength = reply[3] switch
        {
            IPv4 => 4,
            IPv6 => 16,
            DomainName => (await ReadExactlyAsync(stream, 1, cancellationToken).ConfigureAwait(false))[0],
            _ => throw new SocksException($"proxy {proxy} answered with unknown address type {reply[3]}"),
        };
        await ReadExactlyAsync(stream, boundLength + 2, cancellationToken).ConfigureAwait(false);
    }

    private static async Task AuthenticateAsync(Stream stream, SocksProxy proxy, CancellationToken cancellationToken)
    {
        var name = Encoding.UTF8.GetBytes(proxy.UserName!);
        var password = Encoding.UTF8.GetBytes(proxy.Password!);
        var request = new byte[3 + name.Length + password.Length];
        request[0] = 1; // the subnegotiation's version, RFC 1929
        request[1] = (byte)name.Length;
        name.CopyTo(request, 2);
        request[2 + name.Length] = (byte)password.Length;
        password.CopyTo(request, 3 + name.Length);
        await stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);

        var status = await ReadExactlyAsync(stream, 2, cancellationToken).ConfigureAwait(false);
        if (status[1] != 0)
            throw new SocksException($"proxy {proxy} refused the username and password (status {status[1]})");
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException)
        {
            throw new SocksException("the proxy closed the connection during the SOCKS negotiation");
        }

        return buffer;
    }

    // RFC 1928 section 6.
    private static string Describe(byte reply) => reply switch
    {
        1 => "general SOCKS server failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => $"reply code {reply}",
    };
}

/// <summary>A SOCKS5 negotiation failed.</summary>
/// <param name="message">What went wrong, naming the proxy.</param>
/// <param name="reply">The proxy's RFC 1928 reply code, when it sent one.</param>
public sealed class SocksException(string message, int reply = 0) : Exception(message)
{
    /// <summary>The proxy's RFC 1928 reply code, or 0.</summary>
    public int Reply { get; } = reply;
}
