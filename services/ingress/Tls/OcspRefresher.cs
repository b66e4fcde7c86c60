using Pipeline.Infrastructure.Tls;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pipeline.Ingress.Tls;

/// <summary>
/// <c>Ingress:TlsOcspAuto</c>: keeps a fresh OCSP staple for every server certificate that
/// names a responder. A response is fetched at start-up and again halfway through its
/// validity, well before nextUpdate; a failed fetch is retried every
/// <c>TlsOcspRetryInterval</c>, while handshakes go on stapling the last good response until
/// it expires.
/// </summary>
public sealed class OcspRefresher(ServerCertificates certificates, IngressOptions options, ILogger<OcspRefresher> log) : BackgroundService
{
    /// <summary>How long to wait before the next fetch after <paramref name="staple"/> was fetched at <paramref name="now"/>.</summary>
    public static TimeSpan NextFetch(OcspStaple staple, DateTimeOffset now, TimeSpan retryInterval)
    {
        var halfway = staple.ThisUpdate + (staple.NextUpdate - staple.ThisUpdate) / 2;
        return halfway - now > retryInterval ? halfway - now : retryInterval;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.TlsOcspAuto || !StapleShim.IsSupported)
            return;

        var loops = new List<Task>();
        using var http = new HttpClient { Timeout = options.TlsOcspTimeout };
        foreach (var certificate in certificates.All)
        {
            if (certificate.OcspResponder is { } responder)
                loops.Add(KeepFreshAsync(http, responder, certificate, stoppingToken));
            else
                log.LogWarning("TlsOcspAuto: {Subject} names no OCSP responder; nothing to staple for it", certificate.Subject);
        }

        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    private async Task KeepFreshAsync(HttpClient http, Uri responder, ServerCertificate certificate, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var now = DateTimeOffset.UtcNow;
            var (staple, problem) = await OcspFetch.FetchAsync(http, responder, certificate, now, ct).ConfigureAwait(false);
            TimeSpan wait;
            if (staple is not null)
            {
                certificate.UseFetched(staple);
                wait = NextFetch(staple, now, options.TlsOcspRetryInterval);
                log.LogInformation("Fetched an OCSP response for {Subject} from {Responder}, valid until {NextUpdate:u}; next fetch in {Wait}",
                    certificate.Subject, responder, staple.NextUpdate, wait);
            }
            else
            {
                wait = options.TlsOcspRetryInterval;
                log.LogWarning("Could not fetch an OCSP response for {Subject}: {Problem}; trying again in {Wait}", certificate.Subject, problem, wait);
            }

            try
            {
                await Task.Delay(wait, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
