namespace Pipeline.Infrastructure.Dns;

/// <summary>How a DNS lookup ended. Failures are values, never exceptions.</summary>
public enum DnsStatus
{
    /// <summary>Records were found.</summary>
    Found,

    /// <summary>The name does not exist (NXDOMAIN).</summary>
    NameNotFound,

    /// <summary>The name exists but has no records of the type (NODATA).</summary>
    NoData,

    /// <summary>The server failed or did not answer: a temporary condition.</summary>
    TemporaryFailure,
}

/// <summary>The answer to one lookup.</summary>
/// <param name="Status">How the lookup ended.</param>
/// <param name="Records">The records, empty unless <see cref="DnsStatus.Found"/>.</param>
/// <param name="Authenticated">True when the resolver set the AD bit (DNSSEC-validated).</param>
/// <param name="Error">The resolver's error text on failure.</param>
public sealed record DnsResult<T>(DnsStatus Status, IReadOnlyList<T> Records, bool Authenticated, string? Error = null);

/// <summary>One MX record.</summary>
/// <param name="Preference">The preference; lower is tried first.</param>
/// <param name="Exchange">The mail server's name, without the trailing dot.</param>
public sealed record MxRecord(int Preference, string Exchange);

/// <summary>One TLSA record (RFC 6698 §2.1).</summary>
/// <param name="Usage">0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE.</param>
/// <param name="Selector">0 the full certificate, 1 its SubjectPublicKeyInfo.</param>
/// <param name="MatchingType">0 exact, 1 SHA-256, 2 SHA-512.</param>
/// <param name="Data">The certificate association data.</param>
public sealed record TlsaRecord(int Usage, int Selector, int MatchingType, byte[] Data)
{
    /// <summary>The record in zone-file form, e.g. <c>3 1 1 8F0B...</c>.</summary>
    public override string ToString() => $"{Usage} {Selector} {MatchingType} {Convert.ToHexString(Data)}";
}
