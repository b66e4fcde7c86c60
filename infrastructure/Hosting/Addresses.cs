using System.Net;

namespace Pipeline.Infrastructure.Hosting;

/// <summary>
/// Addresses as events, logs and host lists show them: an IPv4 client seen by a dual-stack
/// socket as <c>::ffff:192.0.2.1</c> is <c>192.0.2.1</c>.
/// </summary>
public static class Addresses
{
    /// <summary>The address, IPv4 when it is an IPv4-mapped IPv6 address.</summary>
    public static IPAddress Unmapped(this IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>The unmapped address as text.</summary>
    public static string ToText(this IPAddress address) => address.Unmapped().ToString();
}
