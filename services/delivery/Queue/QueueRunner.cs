using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pipeline.Delivery.Queue;

/// <summary>
/// The queue runner: claims due messages and delivers them, up to
/// <see cref="DeliveryOptions.MaxParallel"/> at once, and once per poll interval gives back
/// the messages of workers whose lease ran out. It polls every
/// <see cref="DeliveryOptions.QueuePollInterval"/> and wakes at once when ingress announces
/// a message (<see cref="Wake"/>).
/// </summary>
public sealed class QueueRunner(QueueClaims claims, MessageDeliverer deliverer, DeliveryOptions options, ILogger<QueueRunner> log)
    : BackgroundService
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Asks the runner to look at the queue now.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var running = new List<Task>();
        var leasesCheckedAt = DateTime.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            running.RemoveAll(t => t.IsCompleted);
            if (DateTime.UtcNow - leasesCheckedAt >= options.QueuePollInterval)
            {
                leasesCheckedAt = DateTime.UtcNow;
                try
                {
                    var released = await claims.ReleaseExpiredAsync(stoppingToken).ConfigureAwait(false);
                    if (released > 0)
                        log.LogWarning("{Count} messages were claimed by a worker whose lease ran out; they are queued again", released);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    log.LogError(e, "Could not release expired claims");
                }
            }

            var free = options.MaxParallel - running.Count;
            IReadOnlyList<(string MessageId, bool Forced)> due = [];
            if (free > 0)
            {
                try
                {
                    due = await claims.ClaimDueAsync(free, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    log.LogError(e, "Could not read the queue");
                }
            }

            foreach (var (messageId, forced) in due)
                running.Add(RunOneAsync(messageId, forced, stoppingToken));

            // With a full batch there may be more due: look again as soon as a slot frees.
            if (due.Count > 0 && due.Count == free)
            {
                await Task.WhenAny(running).ConfigureAwait(false);
                continue;
            }

            using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            poll.CancelAfter(options.QueuePollInterval);
            try
            {
                await _wake.Reader.ReadAsync(poll.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // The poll interval passed.
            }
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task RunOneAsync(string messageId, bool forced, CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await deliverer.DeliverAsync(messageId, forced, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            if (!stoppingToken.IsCancellationRequested)
                log.LogError(e, "Delivery attempt of {MessageId} failed; it stays queued", messageId);
            try
            {
                await claims.ReleaseAsync(messageId, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception release)
            {
                log.LogWarning(release, "Could not release {MessageId}; its claim expires by itself", messageId);
            }
        }
    }
}
