using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Ocsp;
using Org.BouncyCastle.Security.Certificates;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Pipeline.Infrastructure.Tls;

/// <summary>
/// An OCSP response (RFC 6960) checked before it is stapled (ingress) or trusted (delivery's
/// <c>HostsRequireOcsp</c>): it must be a successful basic response for this certificate
/// (serial number, and issuer when the chain holds it) with a nextUpdate still ahead. A
/// response fetched over the network, or stapled by a server, must also be signed by the
/// issuer or by a responder the issuer delegated to (RFC 6960 §4.2.2.2). A response that says
/// the certificate is revoked passes the check, with <see cref="CertStatus"/> saying so: a
/// server staples it all the same, as it is the truth the client asked for; a client refuses it.
/// </summary>
public sealed record OcspStaple(byte[] Der, DateTimeOffset ThisUpdate, DateTimeOffset NextUpdate, OcspCertStatus CertStatus = OcspCertStatus.Good)
{
    // The extended key usage a delegated responder's certificate carries (RFC 6960 §4.2.2.2).
    private const string OcspSigning = "1.3.6.1.5.5.7.3.9";

    /// <summary>Checks <paramref name="der"/> for <paramref name="leaf"/>; null with <paramref name="problem"/> when it must not be stapled.</summary>
    /// <param name="der">The DER response.</param>
    /// <param name="leaf">The certificate it must be about.</param>
    /// <param name="issuer">Its issuer, when known.</param>
    /// <param name="now">The time to judge freshness by.</param>
    /// <param name="problem">Why it must not be stapled.</param>
    /// <param name="requireSignature">True to require a signature by <paramref name="issuer"/> or its delegated responder.</param>
    public static OcspStaple? Check(byte[] der, BcCertificate leaf, BcCertificate? issuer, DateTimeOffset now, out string problem,
        bool requireSignature = false)
    {
        problem = "";
        try
        {
            var response = new OcspResp(der);
            if (response.Status != OcspRespStatus.Successful || response.GetResponseObject() is not BasicOcspResp basic)
            {
                problem = $"not a successful basic OCSP response (status {response.Status})";
                return null;
            }

            if (requireSignature && (issuer is null || !SignedFor(basic, issuer)))
            {
                problem = issuer is null ? "the chain lacks the issuer to check the signature with" : "the signature is not the issuer's or its delegated responder's";
                return null;
            }

            var single = basic.Responses.FirstOrDefault(r =>
                r.GetCertID().SerialNumber.Equals(leaf.SerialNumber) && (issuer is null || r.GetCertID().MatchesIssuer(issuer)));
            if (single is null)
            {
                problem = "the response is for another certificate";
                return null;
            }

            if (single.NextUpdate is not { } nextUpdate)
            {
                problem = "the response has no nextUpdate";
                return null;
            }

            var next = new DateTimeOffset(DateTime.SpecifyKind(nextUpdate, DateTimeKind.Utc));
            if (next <= now)
            {
                problem = $"the response expired at {next:u}";
                return null;
            }

            var status = single.GetCertStatus() switch
            {
                null => OcspCertStatus.Good,
                RevokedStatus => OcspCertStatus.Revoked,
                _ => OcspCertStatus.Unknown,
            };
            return new OcspStaple(der, new DateTimeOffset(DateTime.SpecifyKind(single.ThisUpdate, DateTimeKind.Utc)), next, status);
        }
        catch (Exception e) when (e is OcspException or IOException or ArgumentException or InvalidCastException or Org.BouncyCastle.Asn1.Asn1Exception)
        {
            problem = $"not an OCSP response: {e.Message}";
            return null;
        }
    }

    // Signed by the issuer itself, or by a certificate in the response that the issuer signed
    // and gave the OCSPSigning usage.
    private static bool SignedFor(BasicOcspResp basic, BcCertificate issuer)
    {
        if (basic.Verify(issuer.GetPublicKey()))
            return true;
        foreach (var responder in basic.GetCerts())
        {
            try
            {
                responder.Verify(issuer.GetPublicKey());
                if (responder.GetExtendedKeyUsage()?.Any(u => u.Id == OcspSigning) == true && responder.IsValidNow && basic.Verify(responder.GetPublicKey()))
                    return true;
            }
            catch (Exception e) when (e is CertificateException or Org.BouncyCastle.Security.InvalidKeyException or Org.BouncyCastle.Security.SignatureException)
            {
                // Not the issuer's: try the next one.
            }
        }

        return false;
    }
}

/// <summary>What an OCSP response says of its certificate (RFC 6960 §2.2).</summary>
public enum OcspCertStatus
{
    /// <summary>Not revoked.</summary>
    Good,

    /// <summary>Revoked.</summary>
    Revoked,

    /// <summary>The responder does not know it.</summary>
    Unknown,
}
