using System.Globalization;

namespace Pipeline.Policy.Dmarc;

/// <summary>
/// A DMARC policy record (RFC 7489 §6.3, §6.4): <c>v=DMARC1</c> first, then tags in any order,
/// values compared without regard to case. A record without a valid <c>p</c> (or with an invalid
/// <c>sp</c>) still counts, as <c>p=none</c>, when it has a valid <c>rua</c> (§6.6.3 step 6).
/// A tag with an invalid value (<c>pct=500</c>, <c>adkim=x</c>) makes the record invalid.
/// </summary>
public sealed record DmarcRecord(
    string Policy,
    string SubdomainPolicy,
    bool StrictDkim,
    bool StrictSpf,
    int Percent,
    string FailureOptions,
    IReadOnlyList<string> AggregateReports,
    IReadOnlyList<string> FailureReports,
    long ReportInterval)
{
    /// <summary>True when <paramref name="text"/> claims to be a DMARC record: it starts with <c>v=DMARC1</c>.</summary>
    public static bool IsDmarc(string text)
    {
        var first = text.Split(';', 2)[0].Split('=', 2);
        return first.Length == 2 && first[0].Trim() == "v" && first[1].Trim() == "DMARC1";
    }

    /// <summary>Parses <paramref name="text"/>; null with <paramref name="problem"/> when it is not a usable record.</summary>
    public static DmarcRecord? Parse(string text, out string problem)
    {
        problem = "";
        if (!IsDmarc(text))
            return Fail(out problem, "not a DMARC record (v=DMARC1 must come first)");

        var tags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in text.Split(';').Skip(1))
        {
            if (part.Trim().Length == 0)
                continue;
            var pair = part.Split('=', 2);
            if (pair.Length != 2)
                return Fail(out problem, $"malformed tag '{part.Trim()}'");
            tags.TryAdd(pair[0].Trim(), pair[1].Trim());
        }

        var rua = Uris(tags.GetValueOrDefault("rua"));
        var ruf = Uris(tags.GetValueOrDefault("ruf"));
        var policy = PolicyValue(tags.GetValueOrDefault("p"));
        var subdomain = tags.TryGetValue("sp", out var sp) ? PolicyValue(sp) : policy;
        if (policy is null || subdomain is null)
        {
            if (rua.Count == 0)
                return Fail(out problem, policy is null ? "no valid p= and no rua=" : "invalid sp= and no rua=");
            policy = subdomain = "none";
        }

        if (!Alignment(tags.GetValueOrDefault("adkim"), out var strictDkim) || !Alignment(tags.GetValueOrDefault("aspf"), out var strictSpf))
            return Fail(out problem, "adkim= and aspf= take r or s");
        var percent = 100;
        if (tags.TryGetValue("pct", out var pct) && (!int.TryParse(pct, NumberStyles.None, CultureInfo.InvariantCulture, out percent) || percent > 100))
            return Fail(out problem, "pct= takes 0 to 100");
        // "a plain-text 32-bit unsigned integer" (§6.3).
        var interval = 86400u;
        if (tags.TryGetValue("ri", out var ri) && !uint.TryParse(ri, NumberStyles.None, CultureInfo.InvariantCulture, out interval))
            return Fail(out problem, "ri= takes a number of seconds");
        var fo = tags.GetValueOrDefault("fo", "0").ToLowerInvariant();
        if (fo.Split(':').Any(o => o is not ("0" or "1" or "d" or "s")))
            return Fail(out problem, "fo= takes 0, 1, d and s, separated by colons");
        return new DmarcRecord(policy, subdomain, strictDkim, strictSpf, percent, fo, rua, ruf, interval);
    }

    private static DmarcRecord? Fail(out string problem, string text)
    {
        problem = text;
        return null;
    }

    private static string? PolicyValue(string? value) =>
        value?.ToLowerInvariant() is "none" or "quarantine" or "reject" ? value.ToLowerInvariant() : null;

    private static bool Alignment(string? value, out bool strict)
    {
        strict = value?.ToLowerInvariant() == "s";
        return value is null || value.ToLowerInvariant() is "r" or "s";
    }

    // A comma-separated list of DMARC URIs (§6.2): a URI with an optional "!size".
    private static List<string> Uris(string? value) =>
        value is null ? [] : value.Split(',').Select(u => u.Trim()).Where(u => u.Length > 0 && Uri.TryCreate(u.Split('!')[0], UriKind.Absolute, out _)).ToList();
}
