using System.Net;
using System.Net.Sockets;

namespace Pipeline.EndToEnd.Tests.Fixtures;

public static class FreePort
{
    // Ports for the servers the tests start come from below the kernel's ephemeral range
    // (32768 and up on Linux): a port the kernel handed out for "port 0" can be handed out
    // again to any outgoing connection before our server binds it, which a CI run saw as
    // "address already in use". Below that range only a deliberate bind can take a port.
    private const int First = 20000;
    private const int Last = 32000;

    // Each process starts at its own random place and walks on, so one process never gets a
    // port twice and two test processes running side by side rarely meet.
    private static int _next = Random.Shared.Next(First, Last);

    /// <summary>A port on 127.0.0.1, free for TCP and UDP now, outside the ephemeral range.</summary>
    public static int Next()
    {
        for (var tried = 0; tried < Last - First; tried++)
        {
            var port = First + (Interlocked.Increment(ref _next) - First) % (Last - First);
            if (IsFree(port))
                return port;
        }
        throw new InvalidOperationException($"no free port between {First} and {Last}");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Waits until something accepts connections on the port.</summary>
    public static async Task WaitListeningAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
