using System.Net;
using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Smtp;

/// <summary>
/// Counts open SMTP connections, in all and per client address, against
/// <see cref="IngressOptions.SmtpAcceptMax"/> and <see cref="IngressOptions.SmtpAcceptMaxPerHost"/>.
/// </summary>
public sealed class ConnectionLimiter(IngressOptions options)
{
    private readonly Dictionary<IPAddress, int> _perHost = [];
    private int _total;

    /// <summary>Takes a place for <paramref name="client"/>; null when none is free, else a lease to dispose at close.</summary>
    /// <param name="client">The client's address.</param>
    /// <param name="perHostLimit">False for a proxy, which carries many clients.</param>
    /// <param name="refusal">The 421 reply when refused.</param>
    public IDisposable? TryEnter(IPAddress client, bool perHostLimit, out SmtpReply? refusal)
    {
        lock (_perHost)
        {
            if (_total >= options.SmtpAcceptMax)
            {
                refusal = SmtpReplies.TooManyConnections(options.PrimaryHostname);
                return null;
            }

            _perHost.TryGetValue(client, out var count);
            if (perHostLimit && count >= options.SmtpAcceptMaxPerHost)
            {
                refusal = SmtpReplies.TooManyConnectionsFromHost(options.PrimaryHostname);
                return null;
            }

            _perHost[client] = count + 1;
            _total++;
        }

        refusal = null;
        return new Lease(this, client);
    }

    private void Leave(IPAddress client)
    {
        lock (_perHost)
        {
            _total--;
            if (--_perHost[client] == 0)
                _perHost.Remove(client);
        }
    }

    private sealed class Lease(ConnectionLimiter limiter, IPAddress client) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                limiter.Leave(client);
        }
    }
}
