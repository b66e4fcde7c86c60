using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// <c>openssl s_server -status_file</c> behind a minimal SMTP front: the front greets, answers
/// EHLO with STARTTLS and STARTTLS with 220, then hands the connection to s_server, which does
/// the TLS handshake and staples whatever OCSP response file it was given, revoked or expired
/// included (Exim's GnuTLS refuses to load those). Nothing after the handshake is SMTP: it
/// serves tests of what a client makes of the staple during the handshake.
/// </summary>
public sealed class StaplingTlsServer : IAsyncDisposable
{
    private readonly TcpListener _front = new(IPAddress.Loopback, 0);
    private readonly ServerProcess _openssl;
    private readonly int _tlsPort;
    private readonly CancellationTokenSource _stop = new();

    private StaplingTlsServer(ServerProcess openssl, int tlsPort)
    {
        _openssl = openssl;
        _tlsPort = tlsPort;
        _front.Start();
        _ = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_front.LocalEndpoint).Port;

    public static async Task<StaplingTlsServer> StartAsync(TestPki pki, string ocspFile)
    {
        var port = FreePort.Next();
        var folder = Directory.CreateTempSubdirectory("pipeline-s-server-").FullName;
        var openssl = await ServerProcess.StartAsync(new ProcessStartInfo("openssl",
            ["s_server", "-accept", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "-cert", pki.Chain, "-key", pki.Key,
             "-status_file", ocspFile, "-quiet", "-naccept", "10"]), folder, port);
        return new StaplingTlsServer(openssl, port);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _front.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            await WriteAsync(stream, "220 s-server.test ESMTP front\r\n");
            var line = new StringBuilder();
            var one = new byte[1];
            while (await stream.ReadAsync(one, _stop.Token) == 1)
            {
                if (one[0] != '\n')
                {
                    line.Append((char)one[0]);
                    continue;
                }

                var command = line.ToString().Trim().ToUpperInvariant();
                line.Clear();
                if (command.StartsWith("EHLO", StringComparison.Ordinal))
                {
                    await WriteAsync(stream, "250-s-server.test\r\n250 STARTTLS\r\n");
                }
                else if (command == "STARTTLS")
                {
                    await WriteAsync(stream, "220 2.0.0 ready to start TLS\r\n");
                    using var tls = new TcpClient();
                    await tls.ConnectAsync(IPAddress.Loopback, _tlsPort);
                    var backend = tls.GetStream();
                    await Task.WhenAny(stream.CopyToAsync(backend, _stop.Token), backend.CopyToAsync(stream, _stop.Token));
                    return;
                }
                else
                {
                    await WriteAsync(stream, command == "QUIT" ? "221 bye\r\n" : "502 not here\r\n");
                    if (command == "QUIT")
                        return;
                }
            }
        }
    }

    private static Task WriteAsync(NetworkStream stream, string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _front.Stop();
        await _openssl.DisposeAsync();
        _stop.Dispose();
    }
}
