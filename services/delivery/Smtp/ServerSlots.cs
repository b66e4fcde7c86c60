using System.Collections.Concurrent;
using System.Net;

namespace Pipeline.Delivery.Smtp;

/// <summary>
/// Bounds how many deliveries this process runs to one server at once
/// (<see cref="DeliveryOptions.RemoteMaxParallel"/>), so that a busy queue does not open more
/// connections to it than that: a connection is only opened when none is idle, and none is
/// idle while all the slots deliver.
/// </summary>
public sealed class ServerSlots(DeliveryOptions options)
{
    private readonly ConcurrentDictionary<IPEndPoint, SemaphoreSlim> _slots = new();

    /// <summary>Waits for a slot for <paramref name="server"/>; disposing the result gives it back.</summary>
    public async Task<IDisposable> EnterAsync(IPEndPoint server, CancellationToken cancellationToken)
    {
        var slot = _slots.GetOrAdd(server, _ => new SemaphoreSlim(options.RemoteMaxParallel));
        await slot.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Slot(slot);
    }

    private sealed class Slot(SemaphoreSlim semaphore) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                semaphore.Release();
        }
    }
}
