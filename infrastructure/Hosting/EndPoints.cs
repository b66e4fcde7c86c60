using System.Net;

namespace Pipeline.Infrastructure.Hosting;

/// <summary>Parses the <c>address:port</c> forms used by <c>Listen</c> options.</summary>
public static class EndPoints
{
    /// <summary>
    /// Parses <c>127.0.0.1:2525</c>, <c>[::1]:2525</c>, <c>*:25</c> (every IPv4 and IPv6
    /// address) or <c>http://127.0.0.1:8025</c>.
    /// </summary>
    /// <exception cref="FormatException">The text is not an address and port.</exception>
    public static IPEndPoint Parse(string text)
    {
        var value = text.Trim();
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            value = uri.Authority;
        if (value.StartsWith("*:", StringComparison.Ordinal) && int.TryParse(value[2..], out var anyPort))
            return new IPEndPoint(IPAddress.IPv6Any, anyPort);
        if (IPEndPoint.TryParse(value, out var endPoint) && endPoint.Port != 0)
            return endPoint;
        if (value.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(value["localhost:".Length..], out var localPort))
            return new IPEndPoint(IPAddress.Loopback, localPort);
        throw new FormatException($"'{text}' is not an address and port such as 127.0.0.1:2525");
    }
}
