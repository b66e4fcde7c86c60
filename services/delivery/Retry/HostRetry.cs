using System.Collections.Concurrent;
using System.Net;

namespace Pipeline.Delivery.Retry;

/// <summary>
/// Exim's host retry state: a server that could not be reached is held back until its next
/// retry time, counted by the retry rules from its first failure, so that every message queued
/// for it does not try it again meanwhile. It is per delivery process, and forgotten the
/// moment a connection to the server succeeds.
/// </summary>
public sealed class HostRetry(DeliveryOptions options, TimeProvider clock)
{
    private readonly RetrySchedule _rules = RetrySchedule.Parse(options.RetryRules);
    private readonly ConcurrentDictionary<IPEndPoint, Down> _down = new();

    private sealed record Down(DateTimeOffset FirstFailure, DateTimeOffset NextTry, string Error);

    /// <summary>Why <paramref name="server"/> must not be tried yet, or null when it may be.</summary>
    public string? Held(IPEndPoint server)
    {
        var now = clock.GetUtcNow();
        return _down.TryGetValue(server, out var down) && down.NextTry > now
            ? $"retry time not reached for [{server.Address}]:{server.Port} (down since {down.FirstFailure:u}: {down.Error})"
            : null;
    }

    /// <summary>Records that <paramref name="server"/> could not be reached.</summary>
    public void Failed(IPEndPoint server, string error)
    {
        var now = clock.GetUtcNow();
        _down.AddOrUpdate(server,
            _ => new Down(now, _rules.Next(now, now) ?? now, error),
            (_, down) => down with { NextTry = _rules.Next(down.FirstFailure, now) ?? now, Error = error });
    }

    /// <summary>Records that <paramref name="server"/> was reached.</summary>
    public void Succeeded(IPEndPoint server) => _down.TryRemove(server, out _);
}
