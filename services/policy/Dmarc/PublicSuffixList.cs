using System.Globalization;

namespace Pipeline.Policy.Dmarc;

/// <summary>
/// The Public Suffix List (publicsuffix.org), its ICANN and private sections together, with
/// the implicit <c>*</c> rule: what DMARC's Organizational Domain (RFC 7489 §3.2) is made of.
/// Names are compared in their ASCII (punycode) form and returned in the form they came in.
/// </summary>
public sealed class PublicSuffixList
{
    private static readonly IdnMapping Idn = new();
    private readonly HashSet<string> _rules = new(StringComparer.Ordinal);
    private readonly HashSet<string> _wildcards = new(StringComparer.Ordinal);
    private readonly HashSet<string> _exceptions = new(StringComparer.Ordinal);

    /// <summary>Reads the list's text: one rule per line, <c>//</c> comments, <c>*.</c> wildcards, <c>!</c> exceptions.</summary>
    public PublicSuffixList(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("//", StringComparison.Ordinal))
                continue;
            line = line.Split(' ', '\t')[0];
            if (line.StartsWith('!'))
                _exceptions.Add(Ascii(line[1..]));
            else if (line.StartsWith("*.", StringComparison.Ordinal))
                _wildcards.Add(Ascii(line[2..]));
            else
                _rules.Add(Ascii(line));
        }
    }

    /// <summary>Loads the list from a file.</summary>
    public static PublicSuffixList Load(string path) => new(File.ReadAllText(path));

    /// <summary>
    /// The registrable domain of <paramref name="domain"/>: its public suffix and one label more;
    /// null when the name is a public suffix itself, empty, or starts with a dot.
    /// </summary>
    public string? OrganizationalDomain(string? domain)
    {
        if (string.IsNullOrEmpty(domain) || domain.StartsWith('.'))
            return null;
        var original = domain.TrimEnd('.').Split('.');
        string[] labels;
        try
        {
            labels = original.Select(Ascii).ToArray();
        }
        catch (ArgumentException)
        {
            return null;
        }

        var suffixStart = labels.Length - 1;   // the implicit "*" rule
        for (var i = 0; i < labels.Length; i++)
        {
            var candidate = string.Join('.', labels[i..]);
            if (_exceptions.Contains(candidate))
            {
                suffixStart = i + 1;
                break;
            }

            if (_rules.Contains(candidate) || (i + 1 < labels.Length && _wildcards.Contains(string.Join('.', labels[(i + 1)..]))))
            {
                suffixStart = i;
                break;
            }
        }

        return suffixStart < 1 ? null : string.Join('.', original[(suffixStart - 1)..]).ToLowerInvariant();
    }

    private static string Ascii(string label) =>
        label.All(char.IsAscii) ? label.ToLowerInvariant() : Idn.GetAscii(label.ToLowerInvariant());
}
