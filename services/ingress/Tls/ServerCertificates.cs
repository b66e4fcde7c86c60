using Pipeline.Infrastructure.Tls;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Pipeline.Ingress.Tls;

/// <summary>
/// The server certificates of STARTTLS (Exim's <c>tls_certificate</c>, <c>tls_privatekey</c>,
/// <c>tls_ocsp_file</c>, as lists matched by position): each a PEM chain and key, chosen by
/// the name the client sends (SNI, RFC 6066 §3) and otherwise the first. An OCSP response
/// file is re-read when it changes (replace it atomically, with a rename) and stapled only
/// while it is valid for its certificate (<see cref="OcspStaple"/>); otherwise the handshake
/// goes on without a staple and a warning is logged. With <c>TlsOcspAuto</c>,
/// <see cref="OcspRefresher"/> fetches responses too; the one valid longest is stapled.
/// </summary>
public sealed class ServerCertificates
{
    private readonly List<ServerCertificate> _entries = [];
    private readonly X509Certificate2Collection _clientAuthorities = [];
    private readonly ILogger<ServerCertificates> _log;

    /// <summary>Loads the certificates that <paramref name="options"/> names.</summary>
    /// <exception cref="InvalidOperationException">A file is missing or unreadable, or the lists do not pair up.</exception>
    public ServerCertificates(IngressOptions options, ILogger<ServerCertificates> log)
    {
        _log = log;
        if (options.TlsCertificate.Count != options.TlsPrivateKey.Count)
            throw new InvalidOperationException("Ingress:TlsCertificate and Ingress:TlsPrivateKey must name as many files each");
        if (options.TlsOcspFile.Count > options.TlsCertificate.Count)
            throw new InvalidOperationException("Ingress:TlsOcspFile names more files than Ingress:TlsCertificate");
        for (var i = 0; i < options.TlsCertificate.Count; i++)
        {
            try
            {
                var chain = new X509Certificate2Collection();
                chain.ImportFromPemFile(options.TlsCertificate[i]);
                var leaf = X509Certificate2.CreateFromPemFile(options.TlsCertificate[i], options.TlsPrivateKey[i]);
                var intermediates = new X509Certificate2Collection(chain.Skip(1).ToArray());
                var ocsp = i < options.TlsOcspFile.Count && options.TlsOcspFile[i].Length > 0 ? options.TlsOcspFile[i] : null;
                _entries.Add(new ServerCertificate(leaf, intermediates, ocsp, options.TlsOcspAuto));
            }
            catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                throw new InvalidOperationException($"Ingress:TlsCertificate {options.TlsCertificate[i]}: {e.Message}", e);
            }
        }

        if (options.TlsVerifyCertificates is { Length: > 0 } authorities)
            _clientAuthorities.ImportFromPemFile(authorities);
        if ((options.TlsOcspAuto || _entries.Any(e => e.OcspFile is not null)) && !StapleShim.IsSupported)
            _log.LogWarning("This runtime offers no way to staple OCSP responses: Ingress:TlsOcspFile and TlsOcspAuto are ignored");
    }

    /// <summary>True when at least one certificate is configured: STARTTLS can be offered.</summary>
    public bool IsConfigured => _entries.Count > 0;

    /// <summary>The certificates, in configuration order.</summary>
    public IReadOnlyList<ServerCertificate> All => _entries;

    /// <summary>
    /// The options of one handshake, for the name the client asked for. With
    /// <paramref name="askForCertificate"/> the client is asked for a certificate; with
    /// <paramref name="requireVerified"/> it must send one that verifies against the CAs of
    /// <c>Ingress:TlsVerifyCertificates</c>. <paramref name="peer"/> receives what was sent.
    /// </summary>
    public SslServerAuthenticationOptions OptionsFor(string? serverName, bool askForCertificate, bool requireVerified, ClientCertificate peer)
    {
        var entry = _entries.FirstOrDefault(e => serverName is { Length: > 0 } && e.Matches(serverName)) ?? _entries[0];
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = entry.Context(_log),
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificateRequired = askForCertificate || requireVerified,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                if (certificate is null)
                    return !requireVerified;
                peer.Chain = [.. (chain?.ChainElements.Select(e => e.Certificate) ?? []).DefaultIfEmpty(new X509Certificate2(certificate))];
                peer.Verified = Verify(new X509Certificate2(certificate), chain);
                return peer.Verified || !requireVerified;
            },
        };
    }

    // A client certificate verifies when it chains to one of the configured CAs, and to nothing else.
    private bool Verify(X509Certificate2 certificate, X509Chain? presented)
    {
        if (_clientAuthorities.Count == 0)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_clientAuthorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
            chain.ChainPolicy.ExtraStore.AddRange(presented.ChainElements.Select(e => e.Certificate).ToArray());
        return chain.Build(certificate);
    }
}

/// <summary>What a client presented in one handshake.</summary>
public sealed class ClientCertificate
{
    /// <summary>The chain, the client's own certificate first; empty when it sent none.</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; set; } = [];

    /// <summary>True when it verified against <c>Ingress:TlsVerifyCertificates</c>.</summary>
    public bool Verified { get; set; }
}
