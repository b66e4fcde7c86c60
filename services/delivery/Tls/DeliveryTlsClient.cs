using System.Net;
using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Pipeline.Infrastructure.Dns;
using Pipeline.Infrastructure.Tls;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Pipeline.Delivery.Tls;

/// <summary>
/// The client side of an outbound TLS session (BouncyCastle's TLS, the one stack that shows a
/// client the server's stapled OCSP response): TLS 1.2 and 1.3, SNI with the host's name, an
/// OCSP staple requested when <see cref="TlsHostPolicy.RequestOcsp"/>, and the server's
/// certificate checked as the policy asks. With <paramref name="dane"/> (DNSSEC-validated TLSA
/// records, RFC 7672) the records alone authenticate the server and the CA options are
/// ignored. A check the policy requires fails the handshake; <see cref="Problem"/> then says why.
/// </summary>
internal sealed class DeliveryTlsClient(string? hostName, TlsHostPolicy policy, X509Certificate2Collection? trust, TimeProvider clock,
    IReadOnlyList<TlsaRecord>? dane = null, Func<int, X509Certificate2, string?>? onCertificate = null)
    : DefaultTlsClient(new BcTlsCrypto(new SecureRandom()))
{
    private static readonly Dictionary<int, string> CipherNames = typeof(CipherSuite)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(int))
        .GroupBy(f => (int)f.GetRawConstantValue()!)
        .ToDictionary(g => g.Key, g => g.First().Name);

    private List<X509Certificate2> _chain = [];
    private bool _verified;
    private string? _verifyResultType;
    private OcspStaple? _staple;

    /// <summary>Why a required check failed the handshake, or null.</summary>
    public string? Problem { get; private set; }

    /// <summary>With <see cref="Problem"/>, the failure as TLS reports name it (<see cref="TlsRptNames"/>).</summary>
    public string? ResultType { get; private set; }

    /// <summary>The session, once the handshake completed.</summary>
    public TlsSessionInfo? Session { get; private set; }

    /// <inheritdoc />
    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.TLSv13.DownTo(ProtocolVersion.TLSv12);

    /// <inheritdoc />
    protected override IList<ServerName>? GetSniServerNames() =>
        hostName is null || IPAddress.TryParse(hostName, out _) ? null : [new ServerName(NameType.host_name, Encoding.ASCII.GetBytes(hostName))];

    /// <inheritdoc />
    protected override CertificateStatusRequest? GetCertificateStatusRequest() =>
        RequestOcsp ? new CertificateStatusRequest(CertificateStatusType.ocsp, new OcspStatusRequest(null, null)) : null;

    // As Exim's default for hosts_request_ocsp: not when a DANE-EE record pins the certificate
    // itself, unless a staple is required.
    private bool RequestOcsp => policy.RequireOcsp || (policy.RequestOcsp && dane?.Any(r => r.Usage == 3) != true);

    /// <inheritdoc />
    public override TlsAuthentication GetAuthentication() => new ServerCheck(this);

    /// <inheritdoc />
    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        var parameters = m_context.SecurityParameters;
        var version = parameters.NegotiatedVersion;
        Session = new TlsSessionInfo($"TLS{version.MajorVersion - 2}.{version.MinorVersion - 1}",
            CipherNames.TryGetValue(parameters.CipherSuite, out var name) ? name : $"0x{parameters.CipherSuite:X4}",
            _chain, _verified, _staple, dane is not null, dane?.Aggregate(0, (bits, r) => bits | (1 << r.Usage)) ?? 0,
            _verified ? null : _verifyResultType);
    }

    // Called with the server's certificates during the handshake.
    private void Check(TlsServerCertificate server)
    {
        _chain = server.Certificate.GetCertificateList().Select(c => X509CertificateLoader.LoadCertificate(c.GetEncoded())).ToList();
        if (_chain.Count == 0)
            Fail(AlertDescription.bad_certificate, "the server sent no certificate", TlsRptNames.ValidationFailure);

        // The event action's tls:cert, once per certificate from the server's own: a result
        // refuses verification.
        string? refused = null;
        for (var depth = 0; depth < _chain.Count && refused is null && onCertificate is not null; depth++)
        {
            if (onCertificate(depth, _chain[depth]) is { } result)
                refused = $"the event action refused the certificate at depth {depth}: {result}";
        }

        if (refused is not null && (policy.Verify || dane is not null))
            Fail(AlertDescription.bad_certificate, refused, TlsRptNames.ValidationFailure);

        if (dane is not null)
        {
            if (!DaneVerifier.Authenticates(_chain, hostName, dane, clock.GetUtcNow()))
                Fail(AlertDescription.bad_certificate, $"DANE: no TLSA record matches the server's certificates ({string.Join(", ", dane)})",
                    TlsRptNames.ValidationFailure);
            _verified = true;
        }
        else if (policy.Verify || policy.TryVerify)
        {
            var problem = VerifyChain(out var resultType);
            _verified = problem is null && refused is null;
            _verifyResultType = problem is not null ? resultType : refused is not null ? TlsRptNames.ValidationFailure : null;
            if (problem is not null && policy.Verify)
                Fail(AlertDescription.bad_certificate, $"certificate verification failed: {problem}", resultType);
        }

        if (RequestOcsp)
        {
            var der = StapledResponse(server);
            string? problem = null;
            if (der is not null)
            {
                var leaf = new BcCertificate(_chain[0].RawData);
                var issuer = _chain.Count > 1 ? new BcCertificate(_chain[1].RawData) : IssuerFromTrust();
                _staple = OcspStaple.Check(der, leaf, issuer, clock.GetUtcNow(), out problem, requireSignature: true);
            }

            if (policy.RequireOcsp)
            {
                if (der is null)
                    Fail(AlertDescription.bad_certificate_status_response, "the server stapled no OCSP response", TlsRptNames.ValidationFailure);
                if (_staple is null)
                    Fail(AlertDescription.bad_certificate_status_response, $"the stapled OCSP response is not acceptable: {problem}",
                        TlsRptNames.ValidationFailure);
                if (_staple!.CertStatus != OcspCertStatus.Good)
                    Fail(AlertDescription.bad_certificate_status_response,
                        $"the stapled OCSP response says the certificate is {_staple.CertStatus.ToString().ToLowerInvariant()}",
                        TlsRptNames.ValidationFailure);
            }
        }
    }

    // The chain against the configured CAs (or the system's), and the host's name when asked;
    // a failure comes with its TLS report name (RFC 8460 §4.3.1): dates first, as an expired
    // certificate is what an operator fixes first, then trust, then the name.
    private string? VerifyChain(out string resultType)
    {
        resultType = TlsRptNames.ValidationFailure;
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = clock.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.ExtraStore.AddRange(_chain.Skip(1).ToArray());
        if (trust is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(trust);
        }

        if (!chain.Build(_chain[0]))
        {
            var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
            resultType = (flags & X509ChainStatusFlags.NotTimeValid) != 0 ? TlsRptNames.CertificateExpired : TlsRptNames.CertificateNotTrusted;
            return string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Distinct());
        }

        if (policy.CheckName && hostName is not null && !_chain[0].MatchesHostname(hostName))
        {
            resultType = TlsRptNames.CertificateHostMismatch;
            return $"the certificate does not name {hostName}";
        }

        return null;
    }

    // TLS 1.2 carries the staple in its own message; TLS 1.3 in the leaf's certificate entry.
    private byte[]? StapledResponse(TlsServerCertificate server)
    {
        if (server.CertificateStatus?.OcspResponse is { } response)
            return response.GetEncoded();
        var entry = server.Certificate.GetCertificateEntryAt(0);
        if (entry.Extensions is null || !entry.Extensions.TryGetValue(ExtensionType.status_request, out var encoded))
            return null;
        using var stream = new MemoryStream(encoded);
        return CertificateStatus.Parse(m_context, stream).OcspResponse?.GetEncoded();
    }

    // A server that sends only its own certificate: its issuer may be among the trusted CAs.
    private BcCertificate? IssuerFromTrust()
    {
        var issuer = trust?.FirstOrDefault(c => c.SubjectName.RawData.AsSpan().SequenceEqual(_chain[0].IssuerName.RawData));
        return issuer is null ? null : new BcCertificate(issuer.RawData);
    }

    private void Fail(short alert, string problem, string resultType)
    {
        Problem = problem;
        ResultType = resultType;
        throw new TlsFatalAlert(alert, problem);
    }

    private sealed class ServerCheck(DeliveryTlsClient client) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate) => client.Check(serverCertificate);

        public TlsCredentials? GetClientCredentials(Org.BouncyCastle.Tls.CertificateRequest certificateRequest) => null;
    }
}
