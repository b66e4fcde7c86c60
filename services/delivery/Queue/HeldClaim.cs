namespace Pipeline.Delivery.Queue;

/// <summary>
/// A claim this process holds on one queued message, and until when it surely holds it: the
/// time the last renewal was sent plus the lease, which is never later than what PostgreSQL
/// wrote (<c>now() + lease</c>, taken after the statement left). Renewed by
/// <see cref="ClaimHeartbeat"/>; an attempt starts no SMTP transaction once it has run out.
/// </summary>
public sealed class HeldClaim
{
    private long _untilTicks;

    internal HeldClaim(string messageId, DateTimeOffset claimedAt, TimeSpan lease)
    {
        MessageId = messageId;
        TrackedAt = claimedAt;
        _untilTicks = (claimedAt + lease).UtcTicks;
    }

    /// <summary>The claimed message.</summary>
    public string MessageId { get; }

    /// <summary>When the statement that claimed it was sent: a renewal sent before may not have seen it.</summary>
    internal DateTimeOffset TrackedAt { get; }

    /// <summary>Until when the claim surely holds.</summary>
    public DateTimeOffset Until => new(Interlocked.Read(ref _untilTicks), TimeSpan.Zero);

    /// <summary>True while the claim surely holds.</summary>
    public bool IsHeldAt(DateTimeOffset now) => now < Until;

    /// <summary>True once a renewal found the claim gone.</summary>
    public bool IsLost => Interlocked.Read(ref _untilTicks) == 0;

    /// <summary>A renewal went through: the claim holds until <paramref name="until"/>, if that is later.</summary>
    internal void Extend(DateTimeOffset until)
    {
        var ticks = until.UtcTicks;
        long seen;
        do
        {
            seen = Interlocked.Read(ref _untilTicks);
            if (seen == 0 || ticks <= seen)
                return;
        }
        while (Interlocked.CompareExchange(ref _untilTicks, ticks, seen) != seen);
    }

    /// <summary>A renewal found the claim gone (it ran out and another worker may hold it): it never holds again.</summary>
    internal void Lose() => Interlocked.Exchange(ref _untilTicks, 0);
}
