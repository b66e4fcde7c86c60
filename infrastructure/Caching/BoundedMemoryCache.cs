using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Internal;

namespace Pipeline.Infrastructure.Caching;

/// <summary>
/// The in-memory state a process keeps per peer, sender or key (rate counters, host retry
/// times) lives in a <see cref="MemoryCache"/> bounded in entries, so that a spray of distinct
/// keys cannot grow it for ever: each entry has size 1; past the limit a new entry is not kept
/// and the cache evicts a share of its least recently used ones in the background. Expiry
/// follows the given clock, so that tests can move time.
/// </summary>
public static class BoundedMemoryCache
{
    /// <summary>A cache of at most <paramref name="maxEntries"/> entries, its time read from <paramref name="clock"/>.</summary>
    public static MemoryCache Create(int maxEntries, TimeProvider clock) => new(new MemoryCacheOptions
    {
        SizeLimit = maxEntries,
        // Evict a tenth at once when full, so that a spray does not compact on every new key.
        CompactionPercentage = 0.1,
        ExpirationScanFrequency = TimeSpan.FromSeconds(30),
        Clock = ClockOf(clock),
    });

    /// <summary><paramref name="clock"/> as a memory cache's clock.</summary>
    public static ISystemClock ClockOf(TimeProvider clock) => new Clock(clock);

    /// <summary>Options for one entry: size 1, forgotten at <paramref name="expires"/>.</summary>
    public static MemoryCacheEntryOptions Until(DateTimeOffset expires) => new() { Size = 1, AbsoluteExpiration = expires };

    private sealed class Clock(TimeProvider time) : ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
}
