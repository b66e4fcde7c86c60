using System.Diagnostics;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// NSD, the authoritative DNS server from Debian's package, serving zones on 127.0.0.1, so
/// that delivery's MX and address lookups go through real DNS. Zones named in
/// <c>signed</c> are signed with ldns-signzone (DNSSEC), their key-signing keys given as
/// <see cref="TrustAnchors"/> for a validating resolver.
/// </summary>
public sealed class DnsServer : ListeningServer
{
    private DnsServer(ServerProcess server, int port, string trustAnchors)
        : base(server, port)
    {
        TrustAnchors = trustAnchors;
    }

    /// <summary>The DNSKEY records of the signed zones' key-signing keys, in zone-file form.</summary>
    public string TrustAnchors { get; }

    /// <summary>Serves <paramref name="zone"/> with the given records (zone-file lines, relative names).</summary>
    public static Task<DnsServer> StartAsync(string zone, params string[] records) =>
        StartAsync(new Dictionary<string, string[]> { [zone] = records });

    /// <summary>Serves several zones, each with its records; names of no zone are refused, as by any authoritative server.</summary>
    public static async Task<DnsServer> StartAsync(IReadOnlyDictionary<string, string[]> zones, IReadOnlySet<string>? signed = null)
    {
        var port = FreePort.Next();
        var folder = Directory.CreateTempSubdirectory("pipeline-dns-").FullName;
        var anchors = new System.Text.StringBuilder();
        var files = new Dictionary<string, string>();
        foreach (var (zone, records) in zones)
        {
            await File.WriteAllTextAsync(Path.Combine(folder, zone), string.Join('\n',
            [
                $"$ORIGIN {zone}.", "$TTL 60",
                $"@ IN SOA ns.{zone}. hostmaster.{zone}. 1 3600 600 86400 60",
                $"@ IN NS ns.{zone}.", "ns IN A 127.0.0.1",
                .. records, "",
            ]));
            files[zone] = zone;
            if (signed?.Contains(zone) == true)
            {
                var zsk = (await Run(folder, "ldns-keygen", "-a", "ECDSAP256SHA256", "-r", "/dev/urandom", zone)).Trim();
                var ksk = (await Run(folder, "ldns-keygen", "-a", "ECDSAP256SHA256", "-k", "-r", "/dev/urandom", zone)).Trim();
                await Run(folder, "ldns-signzone", "-f", $"{zone}.signed", zone, zsk, ksk);
                anchors.AppendLine(await File.ReadAllTextAsync(Path.Combine(folder, $"{ksk}.key")));
                files[zone] = $"{zone}.signed";
            }
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
            {string.Join("\n", files.Select(z => $"zone:\n  name: {z.Key}\n  zonefile: \"{z.Value}\""))}
            """);
        var server = await ServerProcess.StartAsync(new ProcessStartInfo("nsd", ["-d", "-c", Path.Combine(folder, "nsd.conf")]), folder, port);
        return new DnsServer(server, port, anchors.ToString());
    }

    private static async Task<string> Run(string folder, string program, params string[] arguments)
    {
        var (exitCode, output) = await Command.RunAsync(program, arguments, "", workingDirectory: folder);
        return exitCode == 0 ? output : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)}: {output}");
    }
}
