using System.Diagnostics;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// haproxy from Debian's package in TCP mode, in front of ingress: one frontend sending a
/// PROXY v1 header (<c>send-proxy</c>), one sending v2 (<c>send-proxy-v2</c>).
/// </summary>
public sealed class HaProxy : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ProcessOutput _output = new();
    private readonly string _folder;

    private HaProxy(Process process, string folder, int v1Port, int v2Port)
    {
        _process = process;
        _folder = folder;
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
        var process = Process.Start(new ProcessStartInfo("haproxy", ["-db", "-f", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var proxy = new HaProxy(process, folder, v1, v2);
        proxy._output.Attach(process);
        try
        {
            await FreePort.WaitListeningAsync(v1, TimeSpan.FromSeconds(10));
            await FreePort.WaitListeningAsync(v2, TimeSpan.FromSeconds(10));
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"haproxy did not start: {proxy._output.Text}", e);
        }

        return proxy;
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
