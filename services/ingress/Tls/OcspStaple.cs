using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Ocsp;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Pipeline.Ingress.Tls;

/// <summary>
/// An OCSP response (RFC 6960) read from <c>Ingress:TlsOcspFile</c>, checked before it is
/// stapled: it must be a successful basic response for this certificate (serial number, and
/// issuer when the chain holds it) with a nextUpdate still ahead. A response that says the
/// certificate is revoked is stapled all the same: it is the truth the client asked for.
/// </summary>
public sealed record OcspStaple(byte[] Der, DateTimeOffset NextUpdate)
{
    /// <summary>Checks <paramref name="der"/> for <paramref name="leaf"/>; null with <paramref name="problem"/> when it must not be stapled.</summary>
    public static OcspStaple? Check(byte[] der, BcCertificate leaf, BcCertificate? issuer, DateTimeOffset now, out string problem)
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

            return new OcspStaple(der, next);
        }
        catch (Exception e) when (e is OcspException or IOException or ArgumentException or InvalidCastException or Org.BouncyCastle.Asn1.Asn1Exception)
        {
            problem = $"not an OCSP response: {e.Message}";
            return null;
        }
    }
}
