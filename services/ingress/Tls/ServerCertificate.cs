using Pipeline.Infrastructure.Tls;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.X509;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace Pipeline.Ingress.Tls;

/// <summary>
/// One server certificate with its chain and the OCSP staples it may carry: the one read from
/// its <c>TlsOcspFile</c>, and the one <see cref="OcspRefresher"/> last fetched. The handshake
/// context is built once and rebuilt only when a staple changes or expires.
/// </summary>
public sealed class ServerCertificate(X509Certificate2 leaf, X509Certificate2Collection intermediates, string? ocspFile, bool fetchesStaples = false)
{
    private readonly Lock _lock = new();
    private SslStreamCertificateContext? _context;
    private DateTime _ocspWritten;
    private DateTimeOffset _stapleExpires = DateTimeOffset.MaxValue;
    private OcspStaple? _fetched;
    private bool _fetchedChanged;

    /// <summary>The certificate, as BouncyCastle reads it for OCSP.</summary>
    public BcCertificate Leaf { get; } = new X509CertificateParser().ReadCertificate(leaf.RawData);

    /// <summary>Its issuer, when the chain holds it.</summary>
    public BcCertificate? Issuer { get; } = intermediates.Count > 0 ? new X509CertificateParser().ReadCertificate(intermediates[0].RawData) : null;

    /// <summary>The subject, for logs.</summary>
    public string Subject => leaf.Subject;

    /// <summary>The DER OCSP response file to staple, or null.</summary>
    public string? OcspFile { get; } = ocspFile;

    /// <summary>The OCSP responder the certificate names in its Authority Information Access (RFC 5280 §4.2.2.1), or null.</summary>
    public Uri? OcspResponder
    {
        get
        {
            var extension = Leaf.GetExtensionValue(X509Extensions.AuthorityInfoAccess);
            if (extension is null)
                return null;
            var access = AuthorityInformationAccess.GetInstance(Asn1Object.FromByteArray(extension.GetOctets()));
            return access.GetAccessDescriptions()
                .Where(d => d.AccessMethod.Equals(AccessDescription.IdADOcsp) && d.AccessLocation.TagNo == GeneralName.UniformResourceIdentifier)
                .Select(d => Uri.TryCreate(d.AccessLocation.Name.ToString(), UriKind.Absolute, out var uri) ? uri : null)
                .FirstOrDefault(u => u is not null && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps));
        }
    }

    /// <summary>Takes a freshly fetched, checked staple; handshakes from now on carry it while it beats the file's.</summary>
    public void UseFetched(OcspStaple staple)
    {
        lock (_lock)
        {
            _fetched = staple;
            _fetchedChanged = true;
        }
    }

    /// <summary>True when the certificate is for <paramref name="name"/> (its SANs, wildcards one label deep, or its CN).</summary>
    public bool Matches(string name)
    {
        foreach (var dns in leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()))
        {
            if (string.Equals(dns, name, StringComparison.OrdinalIgnoreCase))
                return true;
            if (dns.StartsWith("*.", StringComparison.Ordinal) && name.IndexOf('.') is > 0 and var dot
                && string.Equals(dns[2..], name[(dot + 1)..], StringComparison.OrdinalIgnoreCase))
                return true;
        }

        return string.Equals(leaf.GetNameInfo(X509NameType.DnsName, false), name, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The context of a handshake, rebuilt when the OCSP file changed, a staple was fetched, or the staple expired.</summary>
    public SslStreamCertificateContext Context(ILogger log)
    {
        lock (_lock)
        {
            var now = DateTimeOffset.UtcNow;
            var written = OcspFile is null ? default : File.GetLastWriteTimeUtc(OcspFile);
            if (_context is not null && written == _ocspWritten && !_fetchedChanged && now < _stapleExpires)
                return _context;

            _ocspWritten = written;
            _fetchedChanged = false;
            _stapleExpires = DateTimeOffset.MaxValue;
            _context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
            if (!StapleShim.IsSupported)
                return _context;

            var staple = _fetched is { } fetched && fetched.NextUpdate > now ? fetched : null;
            if (OcspFile is not null)
            {
                OcspStaple? fromFile = null;
                var problem = "the file is missing";
                if (File.Exists(OcspFile))
                    fromFile = OcspStaple.Check(File.ReadAllBytes(OcspFile), Leaf, Issuer, now, out problem);
                if (fromFile is null)
                    log.LogWarning("Not stapling {OcspFile} for {Subject}: {Problem}", OcspFile, leaf.Subject, problem);
                else if (staple is null || fromFile.NextUpdate > staple.NextUpdate)
                    staple = fromFile;
            }

            if (staple is not null || OcspFile is not null || fetchesStaples)
                StapleShim.Apply(_context, staple);
            if (staple is not null)
                _stapleExpires = staple.NextUpdate;

            return _context;
        }
    }
}
