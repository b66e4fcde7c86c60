using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Pipeline.Infrastructure.Dns;

namespace Pipeline.Delivery.Sts;

/// <summary>A policy's text as fetched, or why the fetch failed.</summary>
/// <param name="Text">The policy's text, or null.</param>
/// <param name="ResultType">When it failed: <c>sts-policy-fetch-error</c>, <c>sts-policy-invalid</c> or <c>sts-webpki-invalid</c>.</param>
/// <param name="Error">When it failed, why.</param>
public sealed record StsFetch(string? Text, string? ResultType = null, string? Error = null);

/// <summary>Where MTA-STS policies come from; tests give their own.</summary>
public interface IStsPolicySource
{
    /// <summary>Fetches the policy of <paramref name="domain"/>; failures are values, never exceptions.</summary>
    Task<StsFetch> FetchAsync(string domain, CancellationToken cancellationToken);
}

/// <summary>
/// Fetches a domain's MTA-STS policy as RFC 8461 §3.3 says: an HTTPS GET of
/// <c>https://mta-sts.domain/.well-known/mta-sts.txt</c>, the server's certificate verified
/// against <c>Delivery:TlsVerifyCertificates</c> and naming <c>mta-sts.domain</c>, no redirect
/// followed, no HTTP cache, a <c>200</c> answer of type <c>text/plain</c> and at most 64 KiB, all
/// within <c>Delivery:MtaStsFetchTimeout</c>. The web server's name is resolved with the
/// pipeline's resolver (<c>Dns:Servers</c>), like every other name delivery looks up, and
/// reached on <c>Delivery:MtaStsPort</c>.
/// </summary>
public sealed class StsPolicyFetcher(DeliveryOptions options, IDnsResolver dns) : IStsPolicySource
{
    /// <summary>The largest policy taken, in bytes: RFC 8461 §3.3's suggested limit.</summary>
    public const int MaxSize = 64 * 1024;

    private const string FetchError = Tls.TlsRptNames.StsPolicyFetchError;
    private const string Invalid = Tls.TlsRptNames.StsPolicyInvalid;
    private const string WebPkiInvalid = Tls.TlsRptNames.StsWebpkiInvalid;

    /// <inheritdoc />
    public async Task<StsFetch> FetchAsync(string domain, CancellationToken cancellationToken)
    {
        var host = $"mta-sts.{domain}";
        string? certificateProblem = null;
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            ConnectCallback = (_, token) => ConnectAsync(host, token),
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = ChainPolicy(),
                RemoteCertificateValidationCallback = (_, _, _, errors) =>
                {
                    if (errors != SslPolicyErrors.None)
                        certificateProblem = errors.ToString();
                    return errors == SslPolicyErrors.None;
                },
            },
        };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.MtaStsFetchTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"https://{host}/.well-known/mta-sts.txt"));
        // §3.3: HTTP caching must not be used.
        request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true, NoStore = true };
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400)
                return new StsFetch(null, FetchError, $"{host} answered {status} (a redirect, which is not followed: RFC 8461 §3.3)");
            if (status != 200)
                return new StsFetch(null, FetchError, $"{host} answered {status} {response.ReasonPhrase}");
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (!string.Equals(mediaType, "text/plain", StringComparison.OrdinalIgnoreCase))
                return new StsFetch(null, Invalid, $"{host} served the policy as {mediaType ?? "no media type"}, not text/plain");
            var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var buffer = new byte[MaxSize + 1];
                var length = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, timeout.Token).ConfigureAwait(false);
                if (length > MaxSize)
                    return new StsFetch(null, Invalid, $"{host} served a policy larger than {MaxSize / 1024} KiB");
                return new StsFetch(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, length));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new StsFetch(null, FetchError, $"fetching the policy from {host} timed out after {options.MtaStsFetchTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s");
        }
        catch (HttpRequestException) when (certificateProblem is not null)
        {
            return new StsFetch(null, WebPkiInvalid, $"the certificate of {host} does not verify ({certificateProblem})");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or DecoderFallbackException)
        {
            return new StsFetch(null, FetchError, $"fetching the policy from {host} failed: {e.Message}");
        }
    }

    // The chain is built against the configured CAs, as for MX hosts; no revocation check, as
    // for MX hosts (DeliveryTlsClient). The system's store: the platform's default policy.
    private X509ChainPolicy? ChainPolicy()
    {
        if (options.TrustedCertificates is not { } trust)
            return null;
        var policy = new X509ChainPolicy { RevocationMode = X509RevocationMode.NoCheck, TrustMode = X509ChainTrustMode.CustomRootTrust };
        policy.CustomTrustStore.AddRange(trust);
        return policy;
    }

    // The web server's addresses from the pipeline's resolver, tried in turn on Delivery:MtaStsPort.
    private async ValueTask<Stream> ConnectAsync(string host, CancellationToken cancellationToken)
    {
        var addresses = await dns.GetAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        if (addresses.Status != DnsStatus.Found)
            throw new HttpRequestException($"the address lookup of {host} found nothing ({addresses.Status}{(addresses.Error is null ? "" : $": {addresses.Error}")})");
        SocketException? last = null;
        foreach (var address in addresses.Records)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, options.MtaStsPort), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
        }

        throw new HttpRequestException($"{host} could not be reached on port {options.MtaStsPort}: {last?.Message}", last);
    }
}
