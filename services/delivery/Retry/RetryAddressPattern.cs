using System.Text.RegularExpressions;
using Pipeline.Infrastructure.Lists;

namespace Pipeline.Delivery.Retry;

/// <summary>
/// The pattern of a retry rule: one item of an Exim address list (Exim specification, "Format
/// of retry rules"). A domain pattern (<c>*</c>, <c>example.com</c>, <c>*.example.com</c>,
/// <c>*example.com</c>) stands for <c>*@</c> and the domain; <c>local@domain</c> also names
/// the local part (<c>*</c>, exact, or <c>*suffix</c>; case ignored), its domain any domain
/// pattern; <c>^regex</c> must match the whole address; <c>!</c> negates. A host's name is
/// matched as <c>*@host</c>, so only domain patterns and regular expressions can match it.
/// </summary>
public sealed class RetryAddressPattern
{
    private readonly Func<string, string, bool> _match;
    private readonly bool _negated;

    private RetryAddressPattern(string text, bool negated, Func<string, string, bool> match)
    {
        Text = text;
        _negated = negated;
        _match = match;
    }

    /// <summary>The pattern as written.</summary>
    public string Text { get; }

    /// <summary><c>*</c>: every address.</summary>
    public static readonly RetryAddressPattern Any = new("*", false, (_, _) => true);

    /// <summary>True when <paramref name="address"/> (<c>local@domain</c>, or <c>*@host</c> for a host) matches.</summary>
    public bool Matches(string address)
    {
        var at = address.LastIndexOf('@');
        var local = at < 0 ? "" : address[..at];
        var domain = at < 0 ? address : address[(at + 1)..];
        return _match(local, domain) != _negated;
    }

    /// <summary>True when a host error at <paramref name="domain"/> (a host name, or a recipient's domain) matches.</summary>
    public bool MatchesDomain(string domain) => Matches("*@" + domain);

    /// <summary>Parses one pattern.</summary>
    /// <exception cref="FormatException">The pattern is empty, or a regular expression or domain pattern does not parse.</exception>
    public static RetryAddressPattern Parse(string text)
    {
        var item = text.Trim();
        var negated = item.StartsWith('!');
        if (negated)
            item = item[1..].Trim();
        if (item.Length == 0)
            throw new FormatException($"empty retry pattern '{text}'");
        if (item == "*")
            return new RetryAddressPattern(text, negated, (_, _) => true);
        if (item.StartsWith('^'))
        {
            Regex regex;
            try
            {
                regex = new Regex(item, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"retry pattern '{text}' is not a regular expression: {e.Message}", e);
            }

            return new RetryAddressPattern(text, negated, (local, domain) => regex.IsMatch($"{local}@{domain}"));
        }

        var at = item.LastIndexOf('@');
        var domains = new DomainList([at < 0 ? item : item[(at + 1)..]]);
        if (at < 0)
            return new RetryAddressPattern(text, negated, (_, domain) => domains.Contains(domain));

        var localPattern = item[..at];
        Func<string, bool> localMatch = localPattern switch
        {
            "" => throw new FormatException($"retry pattern '{text}' has an empty local part"),
            "*" => _ => true,
            ['*', .. var suffix] => local => local.EndsWith(suffix, StringComparison.OrdinalIgnoreCase),
            _ => local => local.Equals(localPattern, StringComparison.OrdinalIgnoreCase),
        };
        return new RetryAddressPattern(text, negated, (local, domain) => localMatch(local) && domains.Contains(domain));
    }
}
