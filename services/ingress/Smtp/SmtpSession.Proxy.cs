using Pipeline.Infrastructure.Hosting;
using System.Net;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Events;
using Pipeline.Ingress.Proxy;

namespace Pipeline.Ingress.Smtp;

// The PROXY protocol header from a host in Ingress:HostsProxy, read before the banner.
public sealed partial class SmtpSession
{
    // Reads the header within ProxyTimeout. Success replaces the client's endpoint with the
    // real client's; failure leaves the session refusing every command but QUIT (as Exim does).
    private async Task NegotiateProxyAsync(CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + _options.ProxyTimeout;
        var peer = _client;
        while (true)
        {
            System.IO.Pipelines.ReadResult result;
            try
            {
                result = await ReadAsync(deadline, ct).ConfigureAwait(false);
            }
            catch (ReceiveTimeoutException)
            {
                ProxyFailed("no PROXY header within the timeout", peer);
                return;
            }

            var buffer = result.Buffer;
            if (!ProxyHeaderParser.TryParse(buffer, out var header, out var error))
            {
                Input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                    throw new IOException("connection closed during the PROXY header");
                continue;
            }

            if (header is null)
            {
                // What was sent is not a header; none of it can be trusted as SMTP either.
                Input.AdvanceTo(buffer.End);
                ProxyFailed($"bad PROXY header: {error}", peer);
                return;
            }

            Input.AdvanceTo(buffer.GetPosition(header.Length));
            // LOCAL (a health check) and UNSPEC or UNIX families keep the real endpoints.
            var external = header.IsLocal ? _local : Normalize(header.Destination!);
            if (!header.IsLocal)
                _client = Normalize(header.Source!);
            _proxy = new ProxySession(Printable(external.Address), external.Port, Printable(peer.Address), peer.Port, header.Version,
                header.Alpn, header.Authority, header.UniqueId, header.Ssl?.Version, header.Ssl?.CommonName);
            return;
        }
    }

    private void ProxyFailed(string why, IPEndPoint peer)
    {
        _proxyFailure = why;
        _log.LogWarning("Proxy negotiation with [{Proxy}]:{Port} failed on {ConnectionId}: {Why}",
            Printable(peer.Address), peer.Port, _journal.ConnectionId, why);
    }

    private static IPEndPoint Normalize(IPEndPoint endPoint) =>
        new(endPoint.Address.Unmapped(), endPoint.Port);
}
