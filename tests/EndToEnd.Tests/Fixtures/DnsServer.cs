using System.Diagnostics;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// NSD, the authoritative DNS server from Debian's package, serving zones on 127.0.0.1, so
/// that delivery's MX and address lookups go through real DNS.
/// </summary>
public sealed class DnsServer : ListeningServer
{
    private DnsServer(ServerProcess server, int port)
        : base(server, port)
    {
    }

    /// <summary>Serves <paramref name="zone"/> with the given records (zone-file lines, relative names).</summary>
    public static Task<DnsServer> StartAsync(string zone, params string[] records) =>
        StartAsync(new Dictionary<string, string[]> { [zone] = records });

    /// <summary>Serves several zones, each with its records; names of no zone are refused, as by any authoritative server.</summary>
    public static async Task<DnsServer> StartAsync(IReadOnlyDictionary<string, string[]> zones)
    {
        var port = FreePort.Next();
        var folder = Directory.CreateTempSubdirectory("pipeline-dns-").FullName;
        foreach (var (zone, records) in zones)
        {
            await File.WriteAllTextAsync(Path.Combine(folder, zone), string.Join('\n',
            [
                $"$ORIGIN {zone}.", "$TTL 60",
                $"@ IN SOA ns.{zone}. hostmaster.{zone}. 1 3600 600 86400 60",
                $"@ IN NS ns.{zone}.", "ns IN A 127.0.0.1",
                .. records, "",
            ]));
        }

        await File.WriteAllTextAsync(Path.Combine(folder, "nsd.conf"), $"""
            server:
              ip-address: 127.0.0.1@{port}
              port: {port}
              username: ""
              chroot: ""
              zonesdir: "{folder}"
              pidfile: "{folder}/nsd.pid"
              database: ""
              xfrdfile: "{folder}/xfrd.state"
              zonelistfile: "{folder}/zone.list"
              server-count: 1
              verbosity: 1
            remote-control:
              control-enable: no
            {string.Join("\n", zones.Keys.Select(z => $"zone:\n  name: {z}\n  zonefile: \"{z}\""))}
            """);
        var server = await ServerProcess.StartAsync(new ProcessStartInfo("nsd", ["-d", "-c", Path.Combine(folder, "nsd.conf")]), folder, port);
        return new DnsServer(server, port);
    }
}
