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
public sealed class QueueRunner(QueueClaims claims, ClaimHeartbeat heartbeat, MessageDeliverer deliverer, DeliveryOptions options,
    TimeProvider clock, ILogger<QueueRunner> log)
    : BackgroundService
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Asks the runner to look at the queue now.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // On shutdown no message is claimed any more, and the attempts under way get
        // ShutdownGrace to finish (an attempt cut short records nothing and gives its claim back,
        // but a server may then have the message already: better to let it end).
        using var attempts = new CancellationTokenSource();
        using var grace = stoppingToken.Register(() => attempts.CancelAfter(options.ShutdownGrace));
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
            IReadOnlyList<ClaimedMessage> due = [];
            var claimedAt = clock.GetUtcNow();
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

            foreach (var message in due)
                running.Add(RunOneAsync(heartbeat.Track(message.MessageId, claimedAt), message, attempts.Token));

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

        if (running.Count > 0)
            log.LogInformation("Stopping: waiting up to {Grace} for {Count} delivery attempts", options.ShutdownGrace, running.Count);
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task RunOneAsync(HeldClaim claim, ClaimedMessage message, CancellationToken stoppingToken)
    {
        await Task.Yield();
        var messageId = claim.MessageId;
        try
        {
            await deliverer.DeliverAsync(messageId, message.Forced, stoppingToken, claim, message.FirstAttempt).ConfigureAwait(false);
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
        finally
        {
            heartbeat.Forget(claim);
        }
    }
}
