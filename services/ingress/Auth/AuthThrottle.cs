namespace Pipeline.Ingress.Auth;

/// <summary>
/// Slows password guessing: counts failed AUTH attempts per client address, across its
/// connections, over a sliding window (<c>Ingress:AuthFailuresMax</c> in
/// <c>Ingress:AuthFailureWindow</c>). Past the limit the address's AUTH commands are answered
/// 454 without a look at the credentials until its oldest failure leaves the window. A success
/// clears nothing: an attacker holding one account could otherwise reset the count between
/// guesses at another. Bounded: at most <see cref="MaxClients"/> addresses are followed, the
/// least recently failed forgotten first.
/// </summary>
public sealed class AuthThrottle(IngressOptions options, TimeProvider clock)
{
    /// <summary>How many client addresses are followed at most.</summary>
    public const int MaxClients = 10_000;

    private readonly Dictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>True when <paramref name="client"/> has used up its failures for now.</summary>
    public bool Blocked(string client)
    {
        if (options.AuthFailuresMax == 0)
            return false;
        lock (_lock)
            return _failures.TryGetValue(client, out var times) && Trim(times, clock.GetUtcNow()) >= options.AuthFailuresMax;
    }

    /// <summary>Counts a failed attempt of <paramref name="client"/>.</summary>
    public void Failed(string client)
    {
        if (options.AuthFailuresMax == 0)
            return;
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            if (!_failures.TryGetValue(client, out var times))
            {
                if (_failures.Count >= MaxClients)
                    Forget(now);
                _failures[client] = times = new Queue<DateTimeOffset>();
            }

            Trim(times, now);
            times.Enqueue(now);
            while (times.Count > options.AuthFailuresMax)
                times.Dequeue();
        }
    }

    private int Trim(Queue<DateTimeOffset> times, DateTimeOffset now)
    {
        while (times.TryPeek(out var oldest) && now - oldest >= options.AuthFailureWindow)
            times.Dequeue();
        return times.Count;
    }

    // Drops the addresses whose failures have all left the window, or else the one that failed least recently.
    private void Forget(DateTimeOffset now)
    {
        foreach (var (client, times) in _failures)
        {
            if (Trim(times, now) == 0)
                _failures.Remove(client);
        }

        if (_failures.Count >= MaxClients)
            _failures.Remove(_failures.MinBy(f => f.Value.Last()).Key);
    }
}
