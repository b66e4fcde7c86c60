using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// Exim with the test PKI's certificate, reached under names of DNS zones that NSD serves
/// (signed with ldns-signzone where asked) and Unbound validates: the base of the DANE tests.
/// A subclass writes the zones, given the TLSA owner prefix of Exim's port, the SHA-256 of the
/// server certificate's public key (for <c>3 1 1</c>) and of the CA certificate (for <c>2 0 1</c>).
/// </summary>
public abstract class EximBehindSignedZones : IAsyncLifetime
{
    public TestPki Pki { get; } = new();

    public EximServer Exim { get; private set; } = null!;

    public DnsServer Dns { get; private set; } = null!;

    public Resolver Resolver { get; private set; } = null!;

    /// <summary>The zones and their records.</summary>
    /// <param name="tlsa">The owner prefix of a TLSA record for Exim's port: <c>_port._tcp</c>.</param>
    /// <param name="spki">The hex SHA-256 of the server certificate's SubjectPublicKeyInfo.</param>
    /// <param name="anchor">The hex SHA-256 of the CA certificate.</param>
    protected abstract Dictionary<string, string[]> Zones(string tlsa, string spki, string anchor);

    /// <summary>The zones that are signed.</summary>
    protected abstract HashSet<string> Signed { get; }

    public async Task InitializeAsync()
    {
        try
        {
            Exim = await EximServer.StartAsync(pki: Pki);
            using var leaf = X509CertificateLoader.LoadCertificateFromFile(Pki.Path("server.crt"));
            using var ca = X509CertificateLoader.LoadCertificateFromFile(Pki.CaCertificate);
            var zones = Zones($"_{Exim.Port}._tcp", Convert.ToHexString(SHA256.HashData(leaf.PublicKey.ExportSubjectPublicKeyInfo())),
                Convert.ToHexString(SHA256.HashData(ca.RawData)));
            Dns = await DnsServer.StartAsync(zones, Signed);
            Resolver = await Resolver.StartAsync(Dns, zones.Keys);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (Resolver is not null)
            await Resolver.DisposeAsync();
        if (Dns is not null)
            await Dns.DisposeAsync();
        if (Exim is not null)
            await Exim.DisposeAsync();
        Pki.Dispose();
    }
}
