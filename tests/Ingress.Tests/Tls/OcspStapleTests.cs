using Pipeline.Infrastructure.Tls;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Ocsp;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using Pipeline.Ingress.Tls;

namespace Pipeline.Ingress.Tests.Tls;

// Responses made with BouncyCastle's generators: signed by the issuer, by a delegated
// responder, or by a stranger; fresh, expired, or for another certificate.
public class OcspStapleTests
{
    private static readonly DateTime Now = new(2026, 6, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly SecureRandom Random = new();

    private static AsymmetricCipherKeyPair NewKey()
    {
        var generator = new ECKeyPairGenerator();
        generator.Init(new KeyGenerationParameters(Random, 256));
        return generator.GenerateKeyPair();
    }

    private static X509Certificate Certificate(string subject, AsymmetricCipherKeyPair key, string issuer, AsymmetricCipherKeyPair issuerKey,
        long serial, bool ocspSigning = false)
    {
        var generator = new X509V3CertificateGenerator();
        generator.SetSerialNumber(BigInteger.ValueOf(serial));
        generator.SetIssuerDN(new X509Name($"CN={issuer}"));
        generator.SetSubjectDN(new X509Name($"CN={subject}"));
        generator.SetNotBefore(DateTime.UtcNow.AddDays(-1));
        generator.SetNotAfter(DateTime.UtcNow.AddDays(30));
        generator.SetPublicKey(key.Public);
        if (ocspSigning)
            generator.AddExtension(X509Extensions.ExtendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeID.id_kp_OCSPSigning));
        return generator.Generate(new Asn1SignatureFactory("SHA256WITHECDSA", issuerKey.Private));
    }

    private static readonly AsymmetricCipherKeyPair CaKey = NewKey();
    private static readonly X509Certificate Ca = Certificate("CA", CaKey, "CA", CaKey, 1);
    private static readonly AsymmetricCipherKeyPair LeafKey = NewKey();
    private static readonly X509Certificate Leaf = Certificate("mail.test", LeafKey, "CA", CaKey, 42);

    private static byte[] Response(AsymmetricCipherKeyPair signer, X509Certificate[]? chain = null, long serial = 42, DateTime? nextUpdate = null)
    {
        var generator = new BasicOcspRespGenerator(signer.Public);
        generator.AddResponse(new CertificateID(CertificateID.DigestSha1, Ca, BigInteger.ValueOf(serial)), CertificateStatus.Good,
            Now.AddHours(-1), nextUpdate ?? Now.AddDays(1), null);
        var basic = generator.Generate(new Asn1SignatureFactory("SHA256WITHECDSA", signer.Private), chain, Now);
        return new OCSPRespGenerator().Generate(OCSPRespGenerator.Successful, basic).GetEncoded();
    }

    [Fact]
    public void a_fresh_response_signed_by_the_issuer_is_stapled()
    {
        var staple = OcspStaple.Check(Response(CaKey), Leaf, Ca, Now, out var problem, requireSignature: true);
        Assert.True(staple is not null, problem);
        Assert.Equal(new DateTimeOffset(Now.AddDays(1)), staple.NextUpdate);
        Assert.Equal(new DateTimeOffset(Now.AddHours(-1)), staple.ThisUpdate);
    }

    [Fact]
    public void a_response_signed_by_a_delegated_responder_is_stapled()
    {
        var responderKey = NewKey();
        var responder = Certificate("OCSP responder", responderKey, "CA", CaKey, 7, ocspSigning: true);
        var staple = OcspStaple.Check(Response(responderKey, [responder]), Leaf, Ca, Now, out var problem, requireSignature: true);
        Assert.True(staple is not null, problem);
    }

    [Fact]
    public void a_responder_without_the_ocsp_signing_usage_is_not_trusted()
    {
        var responderKey = NewKey();
        var responder = Certificate("Not a responder", responderKey, "CA", CaKey, 8);
        Assert.Null(OcspStaple.Check(Response(responderKey, [responder]), Leaf, Ca, Now, out var problem, requireSignature: true));
        Assert.Contains("signature", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void a_response_signed_by_a_stranger_is_refused_when_a_signature_is_required()
    {
        var strangerKey = NewKey();
        var stranger = Certificate("Stranger", strangerKey, "Stranger", strangerKey, 9, ocspSigning: true);
        var der = Response(strangerKey, [stranger]);
        Assert.Null(OcspStaple.Check(der, Leaf, Ca, Now, out var problem, requireSignature: true));
        Assert.Contains("signature", problem, StringComparison.Ordinal);
        // An operator's file is taken as the operator gave it.
        Assert.NotNull(OcspStaple.Check(der, Leaf, Ca, Now, out _));
    }

    [Fact]
    public void an_expired_response_or_one_for_another_certificate_is_refused()
    {
        Assert.Null(OcspStaple.Check(Response(CaKey, nextUpdate: Now.AddMinutes(-1)), Leaf, Ca, Now, out var expired));
        Assert.Contains("expired", expired, StringComparison.Ordinal);
        Assert.Null(OcspStaple.Check(Response(CaKey, serial: 43), Leaf, Ca, Now, out var other));
        Assert.Contains("another certificate", other, StringComparison.Ordinal);
        Assert.Null(OcspStaple.Check([0x30, 0x03, 0x0a, 0x01, 0x01], Leaf, Ca, Now, out var malformed));
        Assert.NotEmpty(malformed);
    }

    [Fact]
    public void the_next_fetch_is_halfway_to_next_update_and_never_sooner_than_the_retry_interval()
    {
        var staple = new OcspStaple([], Now, Now.AddHours(24));
        Assert.Equal(TimeSpan.FromHours(12), OcspRefresher.NextFetch(staple, Now, TimeSpan.FromMinutes(1)));
        Assert.Equal(TimeSpan.FromHours(2), OcspRefresher.NextFetch(staple, Now.AddHours(10), TimeSpan.FromMinutes(1)));
        Assert.Equal(TimeSpan.FromMinutes(1), OcspRefresher.NextFetch(staple, Now.AddHours(13), TimeSpan.FromMinutes(1)));
    }
}
