using System.Net;
using System.Net.Sockets;

namespace Pipeline.Policy.Spf;

/// <summary>A mechanism's kind (RFC 7208 §5).</summary>
public enum MechanismKind { All, Include, A, Mx, Ptr, Ip4, Ip6, Exists }

/// <summary>
/// One mechanism: its qualifier's result, its domain-spec (unexpanded, null for the current
/// domain), its network for ip4/ip6, and its CIDR prefix lengths.
/// </summary>
public sealed record Mechanism(SpfResult Qualifier, MechanismKind Kind, string? DomainSpec, IPAddress? Network, int Ip4Prefix, int Ip6Prefix);

/// <summary>
/// An SPF record parsed to the letter of RFC 7208 §4.6 and the ABNF of §12: directives in
/// order, the redirect and exp modifiers (each at most once), unknown modifiers checked for
/// syntax and ignored. Any term that fits no production makes the record a permerror.
/// </summary>
public sealed partial class SpfRecord
{
    private SpfRecord(IReadOnlyList<Mechanism> mechanisms, string? redirect, string? explanation)
    {
        Mechanisms = mechanisms;
        Redirect = redirect;
        Explanation = explanation;
    }

    /// <summary>The directives, left to right.</summary>
    public IReadOnlyList<Mechanism> Mechanisms { get; }

    /// <summary>The redirect modifier's domain-spec, or null.</summary>
    public string? Redirect { get; }

    /// <summary>The exp modifier's domain-spec, or null.</summary>
    public string? Explanation { get; }

    /// <summary>True when <paramref name="text"/> is an SPF record: "v=spf1" then a space or its end (§4.5).</summary>
    public static bool IsSpf(string text) =>
        text.StartsWith("v=spf1", StringComparison.OrdinalIgnoreCase) && (text.Length == 6 || text[6] == ' ');

    /// <summary>Parses a record that <see cref="IsSpf"/> accepted; null with <paramref name="problem"/> for a permerror.</summary>
    public static SpfRecord? Parse(string text, out string problem)
    {
        problem = "";
        var mechanisms = new List<Mechanism>();
        string? redirect = null, explanation = null;
        foreach (var term in text[6..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = term.IndexOf('=');
            var colonOrSlash = term.IndexOfAny([':', '/']);
            if (equals > 0 && (colonOrSlash < 0 || equals < colonOrSlash) && IsName(term.AsSpan(0, equals)))
            {
                var name = term[..equals];
                var value = term[(equals + 1)..];
                if (name.Equals("redirect", StringComparison.OrdinalIgnoreCase) || name.Equals("exp", StringComparison.OrdinalIgnoreCase))
                {
                    var isRedirect = name.Length == 8;
                    if ((isRedirect ? redirect : explanation) is not null)
                        return Fail(out problem, $"more than one {name.ToLowerInvariant()}= modifier");
                    if (!MacroExpander.IsDomainSpec(value))
                        return Fail(out problem, $"invalid domain-spec in {term}");
                    if (isRedirect)
                        redirect = value;
                    else
                        explanation = value;
                }
                else if (!MacroExpander.IsMacroString(value, explanation: false))
                {
                    return Fail(out problem, $"invalid macro-string in {term}");
                }

                continue;
            }

            var mechanism = ParseDirective(term);
            if (mechanism is null)
                return Fail(out problem, $"unknown or invalid term {term}");
            mechanisms.Add(mechanism);
        }

        return new SpfRecord(mechanisms, redirect, explanation);
    }

    private static SpfRecord? Fail(out string problem, string text)
    {
        problem = text;
        return null;
    }

    // name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
    private static bool IsName(ReadOnlySpan<char> name)
    {
        if (name.Length == 0 || !char.IsAsciiLetter(name[0]))
            return false;
        foreach (var c in name)
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
                return false;
        return true;
    }

    private static Mechanism? ParseDirective(string term)
    {
        var qualifier = SpfResult.Pass;
        if (term.Length > 0 && term[0] is '+' or '-' or '?' or '~')
        {
            qualifier = term[0] switch { '-' => SpfResult.Fail, '~' => SpfResult.SoftFail, '?' => SpfResult.Neutral, _ => SpfResult.Pass };
            term = term[1..];
        }

        var end = term.IndexOfAny([':', '/']);
        var name = (end < 0 ? term : term[..end]).ToLowerInvariant();
        var rest = end < 0 ? "" : term[end..];
        switch (name)
        {
            case "all":
                return rest.Length == 0 ? new Mechanism(qualifier, MechanismKind.All, null, null, 32, 128) : null;
            case "include" or "exists":
                return rest.StartsWith(':') && MacroExpander.IsDomainSpec(rest[1..])
                    ? new Mechanism(qualifier, name == "include" ? MechanismKind.Include : MechanismKind.Exists, rest[1..], null, 32, 128)
                    : null;
            case "ptr":
                if (rest.Length == 0)
                    return new Mechanism(qualifier, MechanismKind.Ptr, null, null, 32, 128);
                return rest.StartsWith(':') && MacroExpander.IsDomainSpec(rest[1..])
                    ? new Mechanism(qualifier, MechanismKind.Ptr, rest[1..], null, 32, 128)
                    : null;
            case "a" or "mx":
                return ParseHostMechanism(qualifier, name == "a" ? MechanismKind.A : MechanismKind.Mx, rest);
            case "ip4" or "ip6":
                return ParseNetwork(qualifier, name == "ip4", rest);
            default:
                return null;
        }
    }

    // a / mx [ ":" domain-spec ] [ dual-cidr-length ]
    private static Mechanism? ParseHostMechanism(SpfResult qualifier, MechanismKind kind, string rest)
    {
        string? domain = null;
        var cidr = rest;
        if (rest.StartsWith(':'))
        {
            // A domain-spec may hold ':' and '/' itself: the CIDR lengths are what trails it.
            var trailing = TrailingCidr().Match(rest);
            domain = rest[1..trailing.Index];
            cidr = trailing.Value;
            if (!MacroExpander.IsDomainSpec(domain))
                return null;
        }

        if (!ParseDualCidr(cidr, out var ip4, out var ip6))
            return null;
        return new Mechanism(qualifier, kind, domain, null, ip4, ip6);
    }

    // dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]
    private static bool ParseDualCidr(string text, out int ip4, out int ip6)
    {
        ip4 = 32;
        ip6 = 128;
        if (text.Length == 0)
            return true;
        if (!text.StartsWith('/'))
            return false;
        var parts = text[1..].Split('/');
        return parts switch
        {
            [var v4] => ParseLength(v4, 32, out ip4),
            ["", var v6] => ParseLength(v6, 128, out ip6),
            [var v4, "", var v6] => ParseLength(v4, 32, out ip4) && ParseLength(v6, 128, out ip6),
            _ => false,
        };
    }

    // "0" / %x31-39 *DIGIT, at most max: no leading zeros.
    private static bool ParseLength(string text, int max, out int length)
    {
        length = 0;
        if (text.Length == 0 || text.Length > 3 || !text.All(char.IsAsciiDigit) || (text.Length > 1 && text[0] == '0'))
            return false;
        length = int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        return length <= max;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(/[0-9]+)?(//[0-9]+)?$")]
    private static partial System.Text.RegularExpressions.Regex TrailingCidr();

    private static Mechanism? ParseNetwork(SpfResult qualifier, bool v4, string rest)
    {
        if (!rest.StartsWith(':'))
            return null;
        var slash = rest.IndexOf('/');
        var network = slash < 0 ? rest[1..] : rest[1..slash];
        var length = v4 ? 32 : 128;
        if (slash >= 0 && !ParseLength(rest[(slash + 1)..], v4 ? 32 : 128, out length))
            return null;
        if (v4 ? !IsDottedQuad(network) : !IsIp6(network))
            return null;
        var address = IPAddress.Parse(network);
        return new Mechanism(qualifier, v4 ? MechanismKind.Ip4 : MechanismKind.Ip6, null, address, v4 ? length : 32, v4 ? 128 : length);
    }

    // qnum "." qnum "." qnum "." qnum, each 0 to 255 without leading zeros.
    private static bool IsDottedQuad(string text)
    {
        var parts = text.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit)
            && (p.Length == 1 || p[0] != '0') && int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) <= 255);
    }

    private static bool IsIp6(string text) =>
        text.Contains(':') && text.All(c => char.IsAsciiHexDigit(c) || c is ':' or '.')
        && IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6;
}
