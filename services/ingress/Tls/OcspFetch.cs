using Pipeline.Infrastructure.Tls;
using System.Net.Http.Headers;
using Org.BouncyCastle.Ocsp;

namespace Pipeline.Ingress.Tls;

/// <summary>
/// Asks a certificate's OCSP responder about it (RFC 6960 appendix A.1: an HTTP POST of the
/// DER request) and checks the answer as <see cref="OcspStaple"/> does, signature included.
/// No nonce is sent: a staple is one response shown to many clients, which a nonce would forbid
/// (RFC 6960 §4.4.1 makes it optional; most responders serve precomputed responses).
/// </summary>
public static class OcspFetch
{
    /// <summary>The largest response read; real ones are a few KiB.</summary>
    public const int MaxResponseBytes = 64 * 1024;

    /// <summary>Fetches a staple for <paramref name="certificate"/> from <paramref name="responder"/>; null with <paramref name="problem"/> when there is none to use.</summary>
    public static async Task<(OcspStaple? Staple, string Problem)> FetchAsync(HttpClient http, Uri responder, ServerCertificate certificate,
        DateTimeOffset now, CancellationToken ct)
    {
        if (certificate.Issuer is null)
            return (null, "the chain lacks the issuer certificate that OCSP asks about");

        var generator = new OcspReqGenerator();
        generator.AddRequest(new CertificateID(CertificateID.DigestSha1, certificate.Issuer, certificate.Leaf.SerialNumber));
        using var body = new ByteArrayContent(generator.Generate().GetEncoded());
        body.Headers.ContentType = new MediaTypeHeaderValue("application/ocsp-request");
        try
        {
            using var response = await http.PostAsync(responder, body, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                return (null, $"{responder} answered HTTP {(int)response.StatusCode}");
            if (response.Content.Headers.ContentLength > MaxResponseBytes)
                return (null, $"{responder} sent {response.Content.Headers.ContentLength} bytes, more than {MaxResponseBytes}");

            var der = await ReadBoundedAsync(response.Content, ct).ConfigureAwait(false);
            if (der is null)
                return (null, $"{responder} sent more than {MaxResponseBytes} bytes");
            var staple = OcspStaple.Check(der, certificate.Leaf, certificate.Issuer, now, out var problem, requireSignature: true);
            return (staple, problem);
        }
        // A timeout is a TaskCanceledException too; only ct being cancelled ends the wait for good.
        catch (Exception e) when (e is HttpRequestException or IOException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return (null, $"{responder}: {e.Message}");
        }
    }

    private static async Task<byte[]?> ReadBoundedAsync(HttpContent content, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxResponseBytes)
                return null;
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
