using System.Diagnostics;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// NSD, the authoritative DNS server from Debian's package, serving one zone on 127.0.0.1, so
/// that delivery's MX and address lookups go through real DNS.
/// </summary>
public sealed class DnsServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ProcessOutput _output = new();
    private readonly string _folder;

    private DnsServer(Process process, int port, string folder)
    {
        _process = process;
        Port = port;
        _folder = folder;
    }

    public int Port { get; }

    /// <summary>Serves <paramref name="zone"/> with the given records (zone-file lines, relative names).</summary>
    public static async Task<DnsServer> StartAsync(string zone, params string[] records)
    {
        var port = FreePort.Next();
        var folder = Directory.CreateTempSubdirectory("pipeline-dns-").FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "zone"), string.Join('\n',
        [
            $"$ORIGIN {zone}.", "$TTL 60",
            $"@ IN SOA ns.{zone}. hostmaster.{zone}. 1 3600 600 86400 60",
            $"@ IN NS ns.{zone}.", "ns IN A 127.0.0.1",
            .. records, "",
        ]));
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
            zone:
              name: {zone}
              zonefile: "zone"
            """);
        var info = new ProcessStartInfo("nsd", ["-d", "-c", Path.Combine(folder, "nsd.conf")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var server = new DnsServer(Process.Start(info)!, port, folder);
        server._output.Attach(server._process);
        try
        {
            await FreePort.WaitListeningAsync(port, TimeSpan.FromSeconds(10));
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"nsd did not start: {server._output.Text}", e);
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
