using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Pipeline.Delivery.Protocol;
using Pipeline.Infrastructure.Dns;

namespace Pipeline.Delivery.Sts;

/// <summary>
/// MTA-STS policy discovery with its cache (RFC 8461 §3, §5.1), in memory, per process. Each
/// call looks up <c>_mta-sts.domain</c>; a policy is fetched when none is cached or the TXT
/// record's id differs from the cached one's, and is kept for its <c>max_age</c>. A cached
/// policy that has not expired stays in force when the TXT record disappears or the fetch of
/// a new one fails. A fetch that failed is not tried again for the same id for
/// <see cref="RetryFailedFetchAfter"/> (§3.3 suggests five minutes or more), so that a broken
/// web server costs one failure per period, not one per message.
/// </summary>
public sealed class StsPolicies(DeliveryOptions options, IDnsResolver dns, IStsPolicySource source, TimeProvider clock, ILogger<StsPolicies> log)
{
    /// <summary>How long a failed fetch is remembered for its id.</summary>
    public static readonly TimeSpan RetryFailedFetchAfter = TimeSpan.FromMinutes(5);

    // Past this many domains, expired policies and old failures are swept out before another
    // is kept: a policy is otherwise only dropped when its domain is next looked at.
    private const int SweepAbove = 10_000;

    private sealed record Cached(string Id, StsPolicy Policy, DateTimeOffset FetchedAt)
    {
        public bool Fresh(DateTimeOffset now) => now < FetchedAt + Policy.MaxAge;
    }

    private sealed record Failed(string Id, StsDiscovery Discovery, DateTimeOffset At);

    private readonly ConcurrentDictionary<string, Cached> _policies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Failed> _failures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<StsFetch>>> _fetching = new(StringComparer.Ordinal);

    /// <summary>
    /// The policy of <paramref name="domain"/>: null when MTA-STS is off (<c>Delivery:MtaSts</c>)
    /// or the domain has no usable <c>_mta-sts</c> record and no cached policy; otherwise the
    /// policy in force, or why the one the domain announces could not be had.
    /// </summary>
    public async Task<StsDiscovery?> DiscoverAsync(string domain, CancellationToken cancellationToken)
    {
        if (!options.MtaSts)
            return null;
        domain = domain.TrimEnd('.').ToLowerInvariant();
        var now = clock.GetUtcNow();
        if (_policies.TryGetValue(domain, out var cached) && !cached.Fresh(now))
        {
            _policies.TryRemove(new KeyValuePair<string, Cached>(domain, cached));
            cached = null;
        }

        var txt = await dns.GetTxtAsync($"_mta-sts.{domain}", cancellationToken).ConfigureAwait(false);
        string? problem = txt.Error;
        var record = txt.Status == DnsStatus.Found ? StsRecord.Select(txt.Records, out problem) : null;
        if (record is null)
        {
            // No live record: a cached policy stays in force until it expires (§5.1).
            if (txt.Status == DnsStatus.Found || txt.Status == DnsStatus.TemporaryFailure)
                log.LogDebug("MTA-STS: no usable _mta-sts record for {Domain} ({Problem})", domain, problem ?? txt.Status.ToString());
            return cached is null ? null : InForce(domain, cached);
        }

        if (cached is not null && cached.Id == record.Id)
            return InForce(domain, cached);
        if (_failures.TryGetValue(domain, out var failed) && failed.Id == record.Id && now < failed.At + RetryFailedFetchAfter)
            return cached is null ? failed.Discovery : InForce(domain, cached);

        var fetched = await FetchAsync(domain).WaitAsync(cancellationToken).ConfigureAwait(false);
        StsDiscovery failure;
        if (fetched.Text is { } text)
        {
            try
            {
                var policy = StsPolicy.Parse(text);
                var fresh = new Cached(record.Id, policy, clock.GetUtcNow());
                Sweep(fresh.FetchedAt);
                _policies[domain] = fresh;
                _failures.TryRemove(domain, out _);
                log.LogInformation("MTA-STS: policy {Id} of {Domain} fetched: mode {Mode}, mx {Mx}, max_age {MaxAge}",
                    record.Id, domain, policy.ModeText, string.Join(' ', policy.Mx), (long)policy.MaxAge.TotalSeconds);
                return InForce(domain, fresh);
            }
            catch (FormatException e)
            {
                failure = new StsDiscovery(domain, null, null, Tls.TlsRptNames.StsPolicyInvalid, $"the MTA-STS policy of {domain} is malformed: {e.Message}");
            }
        }
        else
        {
            failure = new StsDiscovery(domain, null, null, fetched.ResultType, fetched.Error);
        }

        Sweep(clock.GetUtcNow());
        _failures[domain] = new Failed(record.Id, failure, clock.GetUtcNow());
        log.LogWarning("MTA-STS: the policy {Id} of {Domain} could not be had ({ResultType}: {Error}){Fallback}", record.Id, domain,
            failure.ResultType, failure.Failure, cached is null ? "; delivery goes on without one" : $"; the cached policy {cached.Id} stays in force");
        return cached is null ? failure : InForce(domain, cached);
    }

    private static StsDiscovery InForce(string domain, Cached cached) => new(domain, cached.Id, cached.Policy);

    private void Sweep(DateTimeOffset now)
    {
        if (_policies.Count + _failures.Count < SweepAbove)
            return;
        foreach (var (domain, cached) in _policies.Where(p => !p.Value.Fresh(now)).ToList())
            _policies.TryRemove(new KeyValuePair<string, Cached>(domain, cached));
        foreach (var (domain, failed) in _failures.Where(f => now >= f.Value.At + RetryFailedFetchAfter).ToList())
            _failures.TryRemove(new KeyValuePair<string, Failed>(domain, failed));
    }

    // One fetch per domain at a time: attempts that want the same policy share it. It runs
    // under its own timeout, not any one caller's cancellation.
    private Task<StsFetch> FetchAsync(string domain)
    {
        var fetch = _fetching.GetOrAdd(domain, d => new Lazy<Task<StsFetch>>(() => RunAsync(d)));
        return fetch.Value;

        async Task<StsFetch> RunAsync(string d)
        {
            try
            {
                return await source.FetchAsync(d, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _fetching.TryRemove(d, out _);
            }
        }
    }
}
