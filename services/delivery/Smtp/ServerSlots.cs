using System.Net;

namespace Pipeline.Delivery.Smtp;

/// <summary>
/// Bounds how many deliveries this process runs to one server (address and port) at once
/// (<see cref="DeliveryOptions.RemoteMaxParallel"/>), so that a busy queue does not open more
/// connections to it than that: a connection is only opened when none is idle, and none is
/// idle while all the slots deliver. A server is known here only while a slot of it is held
/// or awaited, so the map holds no more servers than deliveries under way.
/// </summary>
public sealed class ServerSlots(DeliveryOptions options)
{
    private readonly Dictionary<IPEndPoint, Server> _servers = [];

    // A server's semaphore and how many holders and waiters use it; at zero it is dropped.
    private sealed class Server(int slots)
    {
        public SemaphoreSlim Semaphore { get; } = new(slots, slots);

        public int Users { get; set; }
    }

    /// <summary>How many servers have slots held or awaited now.</summary>
    public int Count
    {
        get
        {
            lock (_servers)
                return _servers.Count;
        }
    }

    /// <summary>Waits for a slot for <paramref name="server"/>; disposing the result gives it back.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public async Task<IDisposable> EnterAsync(IPEndPoint server, CancellationToken cancellationToken)
    {
        var entry = Use(server);
        try
        {
            await entry.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(server, entry, release: false);
            throw;
        }

        return new Slot(this, server, entry);
    }

    /// <summary>A slot for <paramref name="server"/> if one is free now, else null: never waits.</summary>
    public IDisposable? TryEnter(IPEndPoint server)
    {
        var entry = Use(server);
        if (entry.Semaphore.Wait(0))
            return new Slot(this, server, entry);
        Leave(server, entry, release: false);
        return null;
    }

    private Server Use(IPEndPoint server)
    {
        lock (_servers)
        {
            if (!_servers.TryGetValue(server, out var entry))
                _servers[server] = entry = new Server(options.RemoteMaxParallel);
            entry.Users++;
            return entry;
        }
    }

    private void Leave(IPEndPoint server, Server entry, bool release)
    {
        lock (_servers)
        {
            if (release)
                entry.Semaphore.Release();
            if (--entry.Users == 0)
            {
                _servers.Remove(server);
                entry.Semaphore.Dispose();
            }
        }
    }

    private sealed class Slot(ServerSlots owner, IPEndPoint server, Server entry) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                owner.Leave(server, entry, release: true);
        }
    }
}
