using System.Diagnostics;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// Unbound, Debian's resolver, on 127.0.0.1 in front of an <see cref="DnsServer"/>: each of its
/// zones is a stub zone, names under <c>timeout.test</c> are dropped unanswered (a DNS
/// timeout, as from a dead server), and names of no zone are refused at once. Given the
/// authority's trust anchors, it validates DNSSEC and sets the AD bit on what verifies.
/// </summary>
public sealed class Resolver : ListeningServer
{
    private Resolver(ServerProcess server, int port)
        : base(server, port)
    {
    }

    public static async Task<Resolver> StartAsync(DnsServer authority, IEnumerable<string> zones)
    {
        var port = FreePort.Next();
        var folder = Directory.CreateTempSubdirectory("pipeline-unbound-").FullName;
        var stubs = string.Join("\n", zones.Select(z => $"stub-zone:\n  name: \"{z}.\"\n  stub-addr: 127.0.0.1@{authority.Port}"));
        var validating = authority.TrustAnchors.Length > 0;
        if (validating)
            await File.WriteAllTextAsync(Path.Combine(folder, "anchors"), authority.TrustAnchors);
        await File.WriteAllTextAsync(Path.Combine(folder, "unbound.conf"), $"""
            server:
              interface: 127.0.0.1@{port}
              port: {port}
              do-daemonize: no
              username: ""
              chroot: ""
              directory: "{folder}"
              pidfile: "{folder}/unbound.pid"
              use-syslog: no
              logfile: ""
              verbosity: 0
              do-not-query-localhost: no
              access-control: 127.0.0.0/8 allow
              module-config: "{(validating ? "validator iterator" : "iterator")}"
              {(validating ? $"trust-anchor-file: \"{folder}/anchors\"" : "")}
              qname-minimisation: no
              cache-max-ttl: 0
              local-zone: "test." nodefault
              local-zone: "timeout.test." deny
              local-zone: "example." refuse
            remote-control:
              control-enable: no
            {stubs}
            """);
        var server = await ServerProcess.StartAsync(new ProcessStartInfo("unbound", ["-d", "-c", Path.Combine(folder, "unbound.conf")]), folder, port);
        return new Resolver(server, port);
    }
}
