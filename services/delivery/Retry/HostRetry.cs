using System.Net;
using Microsoft.Extensions.Caching.Memory;
using Pipeline.Infrastructure.Caching;

namespace Pipeline.Delivery.Retry;

/// <summary>
/// Exim's host retry state: a server that could not be reached is held back until its next
/// retry time, counted by the retry rules from its first failure, so that every message queued
/// for it does not try it again meanwhile. It is per delivery process, and forgotten the
/// moment a connection to the server succeeds, when the retry rules have run their course
/// from its first failure (their last cutoff), or, beyond <see cref="DefaultMaxServers"/>
/// servers, the least recently used first.
/// </summary>
public sealed class HostRetry(DeliveryOptions options, TimeProvider clock, int maxServers = HostRetry.DefaultMaxServers) : IDisposable
{
    /// <summary>How many unreachable servers one delivery process remembers: 10,000.</summary>
    public const int DefaultMaxServers = 10_000;

    private readonly RetryConfiguration _rules = options.RetryLines;
    private readonly MemoryCache _down = BoundedMemoryCache.Create(maxServers, clock);
    private readonly Lock _update = new();

    private sealed record Down(DateTimeOffset FirstFailure, DateTimeOffset NextTry, string Error, RetryError Type);

    /// <summary>How many servers it holds retry times for now.</summary>
    public int Count => _down.Count;

    /// <summary>Why <paramref name="server"/> must not be tried yet, or null when it may be.</summary>
    public string? Held(IPEndPoint server)
    {
        var now = clock.GetUtcNow();
        return _down.TryGetValue(server, out Down? down) && down is not null && down.NextTry > now
            ? $"retry time not reached for [{server.Address}]:{server.Port} (down since {down.FirstFailure:u}: {down.Error})"
            : null;
    }

    /// <summary>The type of the error <paramref name="server"/> is held for (<see cref="Held"/>), or null when it is not held.</summary>
    public RetryError? HeldFor(IPEndPoint server) => _down.TryGetValue(server, out Down? down) && down is not null ? down.Type : null;

    /// <summary>
    /// Records that <paramref name="server"/> could not be reached. Its retry times follow the
    /// retry line (<see cref="DeliveryOptions.Retry"/>) for <paramref name="type"/> at the host
    /// <paramref name="hostName"/>, or at the domain of <paramref name="address"/>, a recipient
    /// that was to go there, for mail from <paramref name="sender"/>.
    /// </summary>
    public void Failed(IPEndPoint server, string error, RetryError? type = null, string? hostName = null, string address = "", string sender = "")
    {
        var now = clock.GetUtcNow();
        type ??= RetryError.Other;
        var rules = _rules.For(address, hostName, sender, type).Schedule;
        lock (_update)
        {
            var first = _down.TryGetValue(server, out Down? down) && down is not null ? down.FirstFailure : now;
            _down.Set(server, new Down(first, rules.Next(first, now) ?? now, error, type),
                BoundedMemoryCache.Until(first + rules.GiveUpAfter));
        }
    }

    /// <summary>Records that <paramref name="server"/> was reached.</summary>
    public void Succeeded(IPEndPoint server) => _down.Remove(server);

    /// <inheritdoc />
    public void Dispose() => _down.Dispose();
}
