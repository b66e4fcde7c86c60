using System.Diagnostics;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// haproxy from Debian's package in TCP mode, in front of ingress: one frontend sending a
/// PROXY v1 header (<c>send-proxy</c>), one sending v2 (<c>send-proxy-v2</c>).
/// </summary>
public sealed class HaProxy : IAsyncDisposable
{
    private readonly ServerProcess _server;

    private HaProxy(ServerProcess server, int v1Port, int v2Port)
    {
        _server = server;
        V1Port = v1Port;
        V2Port = v2Port;
    }

    /// <summary>The frontend that sends PROXY v1.</summary>
    public int V1Port { get; }

    /// <summary>The frontend that sends PROXY v2.</summary>
    public int V2Port { get; }

    public static async Task<HaProxy> StartAsync(int backendPort)
    {
        var (v1, v2) = (FreePort.Next(), FreePort.Next());
        var folder = Directory.CreateTempSubdirectory("pipeline-haproxy-").FullName;
        var config = Path.Combine(folder, "haproxy.cfg");
        await File.WriteAllTextAsync(config, $"""
            global
              maxconn 100
            defaults
              mode tcp
              timeout connect 5s
              timeout client 60s
              timeout server 60s
            frontend proxy_v1
              bind 127.0.0.1:{v1}
              default_backend ingress_v1
            frontend proxy_v2
              bind 127.0.0.1:{v2}
              default_backend ingress_v2
            backend ingress_v1
              server ingress 127.0.0.1:{backendPort} send-proxy
            backend ingress_v2
              server ingress 127.0.0.1:{backendPort} send-proxy-v2

            """);
        var server = await ServerProcess.StartAsync(new ProcessStartInfo("haproxy", ["-db", "-f", config]), folder, v1, v2);
        return new HaProxy(server, v1, v2);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
