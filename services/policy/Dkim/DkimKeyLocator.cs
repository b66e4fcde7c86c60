using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Pipeline.Infrastructure.Dns;

namespace Pipeline.Policy.Dkim;

/// <summary>A DNS failure while fetching a key: the signature's result is temperror.</summary>
public sealed class DkimTemporaryException(string message) : Exception(message);

/// <summary>A key that is missing, revoked or unusable for the signature: the result is permerror.</summary>
public sealed class DkimPermanentException(string message) : Exception(message);

/// <summary>
/// Fetches DKIM keys (RFC 6376 §3.6.2) at <c>selector._domainkey.domain</c> through
/// <see cref="IDnsResolver"/> for MimeKit's verifier, and holds them to the key record's rules
/// MimeKit leaves to the caller: <c>v=DKIM1</c> when present, a non-empty <c>p=</c>, a key type
/// and <c>h=</c> hash list that fit the signature, and <c>t=s</c> forbidding an <c>i=</c>
/// in a subdomain of <c>d=</c>.
/// </summary>
public sealed class DkimKeyLocator(IDnsResolver dns, DkimKeyLocator.Expectation? expected = null) : DkimPublicKeyLocatorBase
{
    /// <summary>The signature being verified: its algorithm and identity decide what a key may be.</summary>
    public sealed record Expectation(string KeyType, string Hash, string Domain, string? Identity);

    /// <inheritdoc />
    public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        LocatePublicKeyAsync(methods, domain, selector, cancellationToken).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override async Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default)
    {
        var name = $"{selector}._domainkey.{domain}";
        var answer = await dns.GetTxtAsync(name, cancellationToken).ConfigureAwait(false);
        if (answer.Status == DnsStatus.TemporaryFailure)
            throw new DkimTemporaryException($"looking up {name}: {answer.Error ?? "temporary DNS failure"}");
        if (answer.Records.Count == 0)
            throw new DkimPermanentException($"no key at {name}");

        var record = answer.Records[0];
        var tags = DkimTags.Parse(record) ?? throw new DkimPermanentException($"malformed key record at {name}");
        if (tags.TryGetValue("v", out var version) && (version != "DKIM1" || !record.TrimStart().StartsWith("v=", StringComparison.Ordinal)))
            throw new DkimPermanentException($"key record at {name} is not v=DKIM1");
        if (!tags.TryGetValue("p", out var key) || key.Length == 0)
            throw new DkimPermanentException($"the key at {name} is revoked");
        var keyType = tags.GetValueOrDefault("k", "rsa");
        if (expected is not null && !keyType.Equals(expected.KeyType, StringComparison.OrdinalIgnoreCase))
            throw new DkimPermanentException($"the key at {name} is k={keyType}, the signature needs {expected.KeyType}");
        if (expected is not null && tags.TryGetValue("h", out var hashes)
            && !hashes.Split(':').Any(h => h.Trim().Equals(expected.Hash, StringComparison.OrdinalIgnoreCase)))
            throw new DkimPermanentException($"the key at {name} allows h={hashes} only, the signature uses {expected.Hash}");
        if (expected?.Identity is { } identity && tags.TryGetValue("t", out var flags) && flags.Split(':').Any(f => f.Trim() == "s")
            && !identity[(identity.LastIndexOf('@') + 1)..].Equals(expected.Domain, StringComparison.OrdinalIgnoreCase))
            throw new DkimPermanentException($"the key at {name} has t=s: i= must be in d= itself");

        try
        {
            return keyType.Equals("ed25519", StringComparison.OrdinalIgnoreCase)
                ? new Ed25519PublicKeyParameters(Convert.FromBase64String(key))
                : GetPublicKey(record);
        }
        catch (Exception e) when (e is FormatException or MimeKit.ParseException or ArgumentException or InvalidCastException)
        {
            throw new DkimPermanentException($"unusable key at {name}: {e.Message}");
        }
    }
}
