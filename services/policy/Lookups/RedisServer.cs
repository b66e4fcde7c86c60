using System.Globalization;

namespace Pipeline.Policy.Lookups;

/// <summary>
/// One entry of <c>Policy:RedisServers</c> in Exim's <c>redis_servers</c> form:
/// <c>host[:port]/database/password</c>, database and password optional
/// (<c>127.0.0.1/10/</c>, <c>redis.example//secret</c>, <c>127.0.0.1:6380</c>).
/// </summary>
public sealed record RedisServer(string Host, int Port, int? Database, string? Password)
{
    /// <summary>Parses one entry.</summary>
    /// <exception cref="FormatException">The entry is malformed.</exception>
    public static RedisServer Parse(string text)
    {
        var parts = text.Trim().Split('/', 3);
        var hostPort = parts[0];
        var port = 6379;
        var colon = hostPort.LastIndexOf(':');
        if (colon > 0 && !hostPort.EndsWith(']') && hostPort.IndexOf(':') == colon)
        {
            if (!int.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is 0 or > 65535)
                throw new FormatException($"Policy:RedisServers: bad port in '{text}'");
            hostPort = hostPort[..colon];
        }

        if (hostPort.Length == 0)
            throw new FormatException($"Policy:RedisServers: no host in '{text}'");
        int? database = null;
        if (parts.Length > 1 && parts[1].Length > 0)
        {
            if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                throw new FormatException($"Policy:RedisServers: bad database number in '{text}'");
            database = number;
        }

        var password = parts.Length > 2 && parts[2].Length > 0 ? parts[2] : null;
        return new RedisServer(hostPort.Trim('[', ']'), port, database, password);
    }

    /// <summary>The entry without its password, for logs.</summary>
    public override string ToString() => $"{Host}:{Port}/{Database}";
}
