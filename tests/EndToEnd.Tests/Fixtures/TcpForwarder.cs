using System.Net;
using System.Net.Sockets;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// Forwards every connection to 127.0.0.1:<paramref name="listenPort"/> on to
/// <paramref name="target"/>: a server that appears on a port of its own when the test says so.
/// </summary>
public sealed class TcpForwarder(int listenPort, IPEndPoint target) : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, listenPort);
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Starts listening and forwarding.</summary>
    public void Start()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(target, _stop.Token);
                var a = client.GetStream().CopyToAsync(server.GetStream(), _stop.Token);
                var b = server.GetStream().CopyToAsync(client.GetStream(), _stop.Token);
                await Task.WhenAny(a, b);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // Either side went away.
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
