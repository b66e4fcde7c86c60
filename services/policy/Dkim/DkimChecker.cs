using System.Globalization;
using MimeKit;
using MimeKit.Cryptography;
using Pipeline.Infrastructure.Dns;

namespace Pipeline.Policy.Dkim;

/// <summary>One DKIM signature's result (RFC 6376 §6.1, named as in RFC 8601): pass, fail, permerror or temperror.</summary>
/// <param name="Result">The result.</param>
/// <param name="Domain">The signature's <c>d=</c>, or empty when it could not be read.</param>
/// <param name="Selector">Its <c>s=</c>.</param>
/// <param name="Problem">Why it did not pass.</param>
public sealed record DkimSignatureOutcome(string Result, string Domain, string Selector, string? Problem = null)
{
    /// <summary>True for pass.</summary>
    public bool Passed => Result == "pass";
}

/// <summary>
/// Verifies every DKIM-Signature of a message: the signature's own rules first (v=1, a known
/// algorithm other than rsa-sha1, which RFC 8301 retired, bh= and b= present, From signed, i=
/// within d=, x= not past), then MimeKit's verifier for the hashes and the signature, with keys
/// from <see cref="DkimKeyLocator"/>.
/// </summary>
public sealed class DkimChecker(IDnsResolver dns)
{
    /// <summary>The outcome of each signature, in header order.</summary>
    public async Task<IReadOnlyList<DkimSignatureOutcome>> VerifyAsync(MimeMessage message, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var outcomes = new List<DkimSignatureOutcome>();
        foreach (var header in message.Headers.Where(h => h.Id == HeaderId.DkimSignature))
            outcomes.Add(await VerifyOneAsync(message, header, now, cancellationToken).ConfigureAwait(false));
        return outcomes;
    }

    // RFC 5321's Domain: labels of letters, digits and inner hyphens, 63 octets at most.
    private static bool IsDomainName(string name) =>
        name.Length is > 0 and <= 253 && name.TrimEnd('.').Split('.').All(label =>
            label.Length is > 0 and <= 63 && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
            && label[0] != '-' && label[^1] != '-');

    private async Task<DkimSignatureOutcome> VerifyOneAsync(MimeMessage message, Header header, DateTimeOffset now, CancellationToken ct)
    {
        var tags = DkimTags.Parse(header.Value);
        if (tags is null)
            return new DkimSignatureOutcome("permerror", "", "", "malformed tag list");
        var domain = tags.GetValueOrDefault("d", "");
        var selector = tags.GetValueOrDefault("s", "");
        DkimSignatureOutcome Perm(string problem) => new("permerror", domain, selector, problem);

        if (tags.GetValueOrDefault("v") != "1")
            return Perm("v= is not 1");
        foreach (var required in new[] { "a", "b", "bh", "d", "h", "s" })
            if (!tags.ContainsKey(required))
                return Perm($"no {required}= tag");
        // d= and s= become a DNS name: anything but a domain name could fetch a key from elsewhere.
        if (!IsDomainName(domain) || !IsDomainName(selector))
            return Perm("d= or s= is not a domain name");
        var algorithm = tags["a"].ToLowerInvariant();
        if (algorithm is not ("rsa-sha256" or "ed25519-sha256"))
            return Perm(algorithm == "rsa-sha1" ? "rsa-sha1 is no longer acceptable (RFC 8301)" : $"unknown algorithm {algorithm}");
        if (!tags["h"].Split(':').Any(h => h.Trim().Equals("from", StringComparison.OrdinalIgnoreCase)))
            return Perm("From is not signed");
        var identity = tags.GetValueOrDefault("i");
        if (identity is not null)
        {
            var identityDomain = identity[(identity.LastIndexOf('@') + 1)..];
            if (!identityDomain.Equals(domain, StringComparison.OrdinalIgnoreCase)
                && !identityDomain.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase))
                return Perm("i= is not within d=");
        }

        if (tags.TryGetValue("x", out var expires) && long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var x)
            && DateTimeOffset.FromUnixTimeSeconds(x) < now)
            return Perm("the signature expired (x=)");

        var parts = algorithm.Split('-');
        var verifier = new DkimVerifier(new DkimKeyLocator(dns, new DkimKeyLocator.Expectation(parts[0], parts[1], domain, identity)))
        {
            MinimumRsaKeyLength = 1024,
        };
        try
        {
            return await verifier.VerifyAsync(message, header, ct).ConfigureAwait(false)
                ? new DkimSignatureOutcome("pass", domain, selector)
                : new DkimSignatureOutcome("fail", domain, selector, "the signature or the body hash does not verify");
        }
        catch (DkimTemporaryException e)
        {
            return new DkimSignatureOutcome("temperror", domain, selector, e.Message);
        }
        catch (Exception e) when (e is DkimPermanentException or FormatException or ParseException or NotSupportedException or ArgumentException)
        {
            return Perm(e.Message);
        }
    }
}
