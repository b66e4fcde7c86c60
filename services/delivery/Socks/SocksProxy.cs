using System.Globalization;
using System.Net;

namespace Pipeline.Delivery.Socks;

/// <summary>
/// One SOCKS5 proxy of <c>Delivery:SocksProxy</c>, in the form of Exim's <c>socks_proxy</c>:
/// an IP address followed by options, <c>IP [auth=none|name] [name=USER] [pass=PASSWORD]
/// [port=1080] [tmo=5] [pri=1] [weight=1]</c>. With <c>auth=name</c> the proxy is asked for
/// RFC 1929 username/password authentication; <c>tmo</c> bounds, in seconds, the connection to
/// the proxy and its negotiation; <c>pri</c> and <c>weight</c> order the proxies
/// (<see cref="SocksProxyOrder"/>).
/// </summary>
public sealed record SocksProxy(IPAddress Address, int Port, string? UserName, string? Password, TimeSpan Timeout, int Priority = 1,
    int Weight = 1)
{
    /// <summary>The proxy's port when none is given.</summary>
    public const int DefaultPort = 1080;

    /// <summary>The proxy's endpoint.</summary>
    public IPEndPoint EndPoint => new(Address, Port);

    /// <summary>True when the proxy is asked for username/password authentication.</summary>
    public bool Authenticates => UserName is not null;

    /// <summary>Parses one proxy specification.</summary>
    /// <exception cref="FormatException">The specification is not valid; the message says what is wrong.</exception>
    public static SocksProxy Parse(string specification)
    {
        var words = specification.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0)
            throw new FormatException("a SOCKS proxy needs an IP address");
        if (!IPAddress.TryParse(words[0], out var address))
            throw new FormatException($"'{words[0]}' is not an IP address: a SOCKS proxy is given by its address, never by name");

        var port = DefaultPort;
        var timeout = TimeSpan.FromSeconds(5);
        int priority = 1, weight = 1;
        string? auth = null, name = null, password = null;
        foreach (var word in words.Skip(1))
        {
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
                throw new FormatException("every word after the address must be an option of the form name=value");
            var value = word[(equals + 1)..];
            switch (word[..equals].ToLowerInvariant())
            {
                case "auth":
                    if (value is not ("none" or "name"))
                        throw new FormatException($"auth={value}: choose auth=none or auth=name");
                    auth = value;
                    break;
                case "name":
                    name = value;
                    break;
                case "pass":
                    password = value;
                    break;
                case "port":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
                        throw new FormatException($"port={value} is not a port number");
                    break;
                case "tmo":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds < 1)
                        throw new FormatException($"tmo={value} is not a number of seconds");
                    timeout = TimeSpan.FromSeconds(seconds);
                    break;
                case "pri":
                    if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out priority))
                        throw new FormatException($"pri={value} is not a whole number");
                    break;
                case "weight":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out weight) || weight < 1)
                        throw new FormatException($"weight={value} is not a whole number of at least 1");
                    break;
                default:
                    throw new FormatException($"unknown option '{word[..equals]}' (known: auth, name, pass, port, tmo, pri, weight)");
            }
        }

        // RFC 1929 carries each field in one length-prefixed octet string.
        if (auth == "name")
        {
            if (string.IsNullOrEmpty(name) || password is null)
                throw new FormatException("auth=name needs name=... and pass=...");
            if (System.Text.Encoding.UTF8.GetByteCount(name) > 255 || System.Text.Encoding.UTF8.GetByteCount(password) > 255)
                throw new FormatException("name and pass are limited to 255 bytes each (RFC 1929)");
            return new SocksProxy(address, port, name, password, timeout, priority, weight);
        }

        return new SocksProxy(address, port, null, null, timeout, priority, weight);
    }

    /// <summary>The proxy as Exim's log shows it, <c>[address]:port</c>; never the password.</summary>
    public override string ToString() => $"[{Address}]:{Port}";
}
