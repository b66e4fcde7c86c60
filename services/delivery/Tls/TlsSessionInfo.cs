using System.Security.Cryptography.X509Certificates;
using Pipeline.Infrastructure.Tls;

namespace Pipeline.Delivery.Tls;

/// <summary>What an outbound TLS session turned out to be, for the log, the events and the checks.</summary>
/// <param name="Version">The protocol, as Exim logs it: <c>TLS1.3</c>.</param>
/// <param name="Cipher">The cipher suite's standard name.</param>
/// <param name="Chain">The server's certificates, its own first.</param>
/// <param name="Verified">True when the chain verified (and named the host, when that was asked).</param>
/// <param name="Staple">The stapled OCSP response as checked, or null when none came or it did not check out.</param>
/// <param name="Dane">True when the certificate was authenticated by DANE (<c>$tls_out_dane</c>).</param>
/// <param name="TlsaUsage">The TLSA usages seen, one bit each (<c>1 &lt;&lt; usage</c>; Exim's <c>$tls_out_tlsa_usage</c>).</param>
/// <param name="VerifyResultType">
/// When the chain was checked and did not verify: why, as TLS reports name it (RFC 8460 §4.3.1,
/// <c>certificate-host-mismatch</c>, <c>certificate-expired</c>, <c>certificate-not-trusted</c>,
/// <c>validation-failure</c>); null otherwise.
/// </param>
public sealed record TlsSessionInfo(string Version, string Cipher, IReadOnlyList<X509Certificate2> Chain, bool Verified, OcspStaple? Staple,
    bool Dane = false, int TlsaUsage = 0, string? VerifyResultType = null)
{
    /// <summary>Exim's <c>X=</c>: <c>TLS1.3:TLS_AES_256_GCM_SHA384</c>.</summary>
    public string LogText => $"{Version}:{Cipher}";

    /// <summary>Exim's <c>CV=</c>: <c>dane</c>, <c>yes</c> or <c>no</c>.</summary>
    public string CertificateVerified => Dane ? "dane" : Verified ? "yes" : "no";
}
