using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Pipeline.Infrastructure.Dns;

namespace Pipeline.Delivery.Tls;

/// <summary>
/// Whether a server's certificate chain matches its TLSA records (RFC 6698 §2.1, RFC 7671,
/// RFC 7672 §3). Only records SMTP may use count (<see cref="IsUsable"/>): DANE-EE(3) matches
/// the server's own certificate and nothing else is checked, neither names nor dates
/// (RFC 7672 §3.1.1); DANE-TA(2) matches a certificate of the chain the server sent, which
/// must then chain the server's certificate to it and name the host (§3.1.2). Pure: no I/O.
/// </summary>
public static class DaneVerifier
{
    /// <summary>
    /// True when SMTP may use <paramref name="record"/>: usage DANE-TA(2) or DANE-EE(3)
    /// (RFC 7672 §3.1.3 makes PKIX-TA and PKIX-EE unusable), a known selector and matching type
    /// (RFC 6698 §2.1), and association data of the length its matching type gives: 32 bytes
    /// for SHA-256, 64 for SHA-512; a record of another length is malformed (RFC 7671 §9).
    /// </summary>
    public static bool IsUsable(TlsaRecord record) =>
        record.Usage is 2 or 3
        && record.Selector is 0 or 1
        && record.MatchingType switch
        {
            0 => record.Data.Length > 0,
            1 => record.Data.Length == SHA256.HashSizeInBytes,
            2 => record.Data.Length == SHA512.HashSizeInBytes,
            _ => false,
        };

    /// <summary>The usable records of <paramref name="records"/>.</summary>
    public static IReadOnlyList<TlsaRecord> Usable(IEnumerable<TlsaRecord> records) => records.Where(IsUsable).ToList();

    /// <summary>True when a usable record of <paramref name="records"/> authenticates <paramref name="chain"/> (the server's certificate first).</summary>
    /// <param name="chain">The certificates the server sent, its own first.</param>
    /// <param name="hostName">The name the server was reached by, which a DANE-TA match requires its certificate to carry.</param>
    /// <param name="records">The TLSA records; unusable ones are ignored.</param>
    /// <param name="now">The time a DANE-TA chain is checked at.</param>
    public static bool Authenticates(IReadOnlyList<X509Certificate2> chain, string? hostName, IEnumerable<TlsaRecord> records, DateTimeOffset now) =>
        chain.Count > 0 && records.Where(IsUsable).Any(record => Authenticates(chain, hostName, record, now));

    private static bool Authenticates(IReadOnlyList<X509Certificate2> chain, string? hostName, TlsaRecord record, DateTimeOffset now)
    {
        if (record.Usage == 3)
            return Matches(chain[0], record);
        foreach (var anchor in chain.Where(c => Matches(c, record)))
        {
            using var path = new X509Chain();
            path.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            path.ChainPolicy.VerificationTime = now.UtcDateTime;
            path.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            path.ChainPolicy.CustomTrustStore.Add(anchor);
            path.ChainPolicy.ExtraStore.AddRange(chain.Skip(1).ToArray());
            if (path.Build(chain[0]) && hostName is not null && chain[0].MatchesHostname(hostName))
                return true;
        }

        return false;
    }

    /// <summary>True when <paramref name="certificate"/> is what <paramref name="record"/>'s selector and matching type describe.</summary>
    public static bool Matches(X509Certificate2 certificate, TlsaRecord record)
    {
        var data = record.Selector switch
        {
            0 => certificate.RawData,
            1 => certificate.PublicKey.ExportSubjectPublicKeyInfo(),
            _ => null,
        };
        var association = data is null ? null : record.MatchingType switch
        {
            0 => data,
            1 => SHA256.HashData(data),
            2 => SHA512.HashData(data),
            _ => null,
        };
        return association is not null && CryptographicOperations.FixedTimeEquals(association, record.Data);
    }
}
