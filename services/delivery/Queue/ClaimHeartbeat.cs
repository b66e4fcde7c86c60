using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pipeline.Delivery.Queue;

/// <summary>
/// Renews this process's claims while their attempts run, every third of
/// <see cref="DeliveryOptions.ClaimLease"/>, with one statement for all of them, so that an
/// attempt longer than the lease (a slow server, many hosts in a row) is never claimed again
/// by another worker while it runs. A claim the renewal no longer finds once it has run out
/// is lost for good (<see cref="HeldClaim.Lose"/>): its attempt starts no more transactions.
/// </summary>
public sealed class ClaimHeartbeat(QueueClaims claims, DeliveryOptions options, TimeProvider clock, ILogger<ClaimHeartbeat> log)
    : BackgroundService
{
    private readonly ConcurrentDictionary<HeldClaim, bool> _held = new();

    /// <summary>How often claims are renewed: a third of the lease, so that two renewals can fail before one runs out.</summary>
    public TimeSpan Interval => options.ClaimLease / 3;

    /// <summary>Starts renewing a claim taken by a statement sent at <paramref name="claimedAt"/>.</summary>
    public HeldClaim Track(string messageId, DateTimeOffset claimedAt)
    {
        var claim = new HeldClaim(messageId, claimedAt, options.ClaimLease);
        _held[claim] = true;
        return claim;
    }

    /// <summary>Stops renewing a claim: its attempt is over.</summary>
    public void Forget(HeldClaim claim) => _held.TryRemove(claim, out _);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, clock, stoppingToken).ConfigureAwait(false);
                await BeatAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The claims run out on their own if this goes on; their attempts then stop.
                log.LogWarning(e, "Could not renew the claims of {Count} attempts", _held.Count);
            }
        }
    }

    /// <summary>Renews every tracked claim once.</summary>
    public async Task BeatAsync(CancellationToken cancellationToken)
    {
        var sentAt = clock.GetUtcNow();
        var held = _held.Keys.Where(c => !c.IsLost).ToList();
        if (held.Count == 0)
            return;
        var renewed = (await claims.RenewAsync(held.Select(c => c.MessageId).ToHashSet(StringComparer.Ordinal), cancellationToken)
            .ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        foreach (var claim in Settle(held, renewed, sentAt, options.ClaimLease))
        {
            claim.Lose();
            log.LogWarning("The claim on {MessageId} ran out before its attempt ended; the attempt stops", claim.MessageId);
        }
    }

    /// <summary>
    /// Extends the claims a renewal sent at <paramref name="sentAt"/> found; returns those that are
    /// lost. A claim it did not find while the claim still surely held was not taken by another
    /// worker (none may before it runs out): its own attempt has recorded its outcome, which
    /// removed or released the row, perhaps while the renewal waited on that row's lock. It is
    /// left alone, and is lost at a later renewal if it is still tracked once it has run out.
    /// </summary>
    public static IReadOnlyList<HeldClaim> Settle(IEnumerable<HeldClaim> held, IReadOnlySet<string> renewed, DateTimeOffset sentAt, TimeSpan lease)
    {
        var lost = new List<HeldClaim>();
        foreach (var claim in held)
        {
            if (renewed.Contains(claim.MessageId))
                claim.Extend(sentAt + lease);
            else if (claim.TrackedAt < sentAt && !claim.IsHeldAt(sentAt))
                lost.Add(claim);
        }

        return lost;
    }
}
