using System.Diagnostics;
using System.Globalization;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// microsocks from Debian's package: a SOCKS5 server on 127.0.0.1, without authentication
/// or, with <paramref name="userName"/> and <paramref name="password"/>, requiring RFC 1929's.
/// </summary>
public sealed class Socks5Proxy(ServerProcess server, int port) : ListeningServer(server, port)
{
    public static async Task<Socks5Proxy> StartAsync(string? userName = null, string? password = null)
    {
        var port = FreePort.Next();
        var folder = Directory.CreateTempSubdirectory("pipeline-socks-").FullName;
        List<string> arguments = ["-i", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture)];
        if (userName is not null)
            arguments.AddRange(["-u", userName, "-P", password!]);
        var server = await ServerProcess.StartAsync(new ProcessStartInfo("microsocks", arguments), folder, port);
        return new Socks5Proxy(server, port);
    }

    /// <summary>This proxy in the form of <c>Delivery:SocksProxy</c>.</summary>
    public string Specification(string options = "") => $"127.0.0.1 port={Port} {options}".Trim();
}
