using Pipeline.Policy.Dkim;
using Pipeline.Policy.Dmarc;
using Pipeline.Policy.Lookups;
using Pipeline.Policy.Spf;

namespace Pipeline.Policy.Rules;

/// <summary>What rules can ask beyond the check itself: SPF, DKIM, DMARC, Redis, and the host's names.</summary>
/// <param name="Spf">SPF's check_host().</param>
/// <param name="Dkim">DKIM verification.</param>
/// <param name="Dmarc">DMARC evaluation.</param>
/// <param name="Redis">Redis lookups, or null when none are configured.</param>
/// <param name="PrimaryHostname">The receiving host's name.</param>
/// <param name="Rates">The rates of the ratelimit condition, or null for a fresh set.</param>
public sealed record PolicyServices(SpfChecker Spf, DkimChecker Dkim, DmarcEvaluator Dmarc, RedisLookup? Redis, string PrimaryHostname,
    RateLimiter? Rates = null)
{
    /// <summary>The rates of the ratelimit condition.</summary>
    public RateLimiter Rates { get; } = Rates ?? new RateLimiter(TimeProvider.System);
}
