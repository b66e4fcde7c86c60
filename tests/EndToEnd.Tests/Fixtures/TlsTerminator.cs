using System.Diagnostics;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// haproxy from Debian's package terminating TLS on 127.0.0.1 in front of a plain TCP backend
/// (e.g. an <see cref="HttpReceiver"/>, which speaks only HTTP), with a certificate chain and
/// key in PEM: an https endpoint made of real software.
/// </summary>
public sealed class TlsTerminator : IAsyncDisposable
{
    private readonly ServerProcess _server;

    private TlsTerminator(ServerProcess server, int port)
    {
        _server = server;
        Port = port;
    }

    /// <summary>The TLS port.</summary>
    public int Port { get; }

    /// <summary>Starts haproxy on <paramref name="port"/> (a free one when 0), forwarding what it decrypts to 127.0.0.1:<paramref name="backendPort"/>.</summary>
    public static async Task<TlsTerminator> StartAsync(int backendPort, string chain, string key, int port = 0)
    {
        port = port == 0 ? FreePort.Next() : port;
        var folder = Directory.CreateTempSubdirectory("pipeline-tls-terminator-").FullName;
        var pem = Path.Combine(folder, "server.pem");
        await File.WriteAllTextAsync(pem, await File.ReadAllTextAsync(chain) + await File.ReadAllTextAsync(key));
        var config = Path.Combine(folder, "haproxy.cfg");
        await File.WriteAllTextAsync(config, $"""
            global
              maxconn 100
            defaults
              mode tcp
              timeout connect 5s
              timeout client 60s
              timeout server 60s
            frontend https
              bind 127.0.0.1:{port} ssl crt {pem}
              default_backend plain
            backend plain
              server receiver 127.0.0.1:{backendPort}

            """);
        return new TlsTerminator(await ServerProcess.StartAsync(new ProcessStartInfo("haproxy", ["-db", "-f", config]), folder, port), port);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
