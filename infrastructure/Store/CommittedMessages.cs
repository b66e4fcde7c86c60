using Microsoft.Extensions.Caching.Memory;
using Pipeline.Contracts.Events;
using Pipeline.Infrastructure.Caching;

namespace Pipeline.Infrastructure.Store;

/// <summary>
/// The hot hand-off: when ingress and delivery run in one process, ingress leaves each message
/// it commits (its <c>msg:received</c> and bytes) here, and delivery's first attempt takes it
/// instead of reading the stream and the bytes back from the store. Only a shortcut: the store
/// stays the record, claims are taken as before, and whatever is not found here (another
/// process's message, a later attempt, an entry dropped for room or age) is read from the store.
/// Held to <see cref="MaxBytes"/> of message data, each entry for at most <see cref="MaxAge"/>,
/// so that a backlog delivery has not reached costs no more memory than that.
/// </summary>
public sealed class CommittedMessages : IDisposable
{
    /// <summary>The most message data held at once.</summary>
    public const long MaxBytes = 16 * 1024 * 1024;

    /// <summary>How long an entry waits for its first attempt.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);

    private readonly MemoryCache? _held;
    private readonly TimeProvider _clock;

    /// <summary>A hand-off that holds messages only when <paramref name="enabled"/>: delivery runs in this process to take them.</summary>
    public CommittedMessages(bool enabled, TimeProvider clock, long maxBytes = MaxBytes)
    {
        _clock = clock;
        if (enabled)
        {
            _held = new MemoryCache(new MemoryCacheOptions
            {
                SizeLimit = maxBytes, CompactionPercentage = 0.1, ExpirationScanFrequency = TimeSpan.FromSeconds(30),
                Clock = BoundedMemoryCache.ClockOf(clock),
            });
        }
    }

    /// <summary>True when delivery runs in this process and takes what is held here.</summary>
    public bool Enabled => _held is not null;

    /// <summary>
    /// Holds a message that is being committed, before its transaction ends, so that no claim
    /// can come before it; <see cref="Drop"/> it when the commit fails. Not held past the limit.
    /// </summary>
    public void Hold(MessageReceived received, byte[] data) =>
        _held?.Set(received.MessageId, new Committed(received, data),
            new MemoryCacheEntryOptions { Size = Math.Max(1, data.Length), AbsoluteExpiration = _clock.GetUtcNow() + MaxAge });

    /// <summary>Forgets a message whose commit failed.</summary>
    public void Drop(string messageId) => _held?.Remove(messageId);

    /// <summary>Takes a held message, once: its first attempt's stream and bytes.</summary>
    public Committed? Take(string messageId)
    {
        if (_held is null || !_held.TryGetValue(messageId, out Committed? committed))
            return null;
        _held.Remove(messageId);
        return committed;
    }

    /// <inheritdoc />
    public void Dispose() => _held?.Dispose();

    /// <summary>A committed message: its <c>msg:received</c> (version 1 of its stream) and its bytes.</summary>
    public sealed record Committed(MessageReceived Received, byte[] Data);
}
