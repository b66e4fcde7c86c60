using System.Text.RegularExpressions;

namespace Pipeline.Infrastructure.Lists;

/// <summary>
/// A domain list with Exim's semantics (Exim specification, "Domain lists"): items are tried
/// left to right and the first that matches decides; <c>!item</c> negates; <c>*</c> matches
/// everything; <c>*suffix</c> matches names ending in suffix (<c>*.example.com</c> matches
/// the subdomains); <c>^regex</c> is a regular expression; anything else matches the name
/// exactly, ignoring case. A list that ends in a negated item accepts what nothing matched.
/// </summary>
public sealed class DomainList
{
    private readonly (bool Negated, Func<string, bool> Match)[] _items;
    private readonly bool _defaultResult;

    /// <summary>Builds a list from its items.</summary>
    /// <exception cref="FormatException">An item is empty or a regular expression does not parse.</exception>
    public DomainList(IEnumerable<string> items)
    {
        _items = items.Select(Parse).ToArray();
        _defaultResult = _items.Length > 0 && _items[^1].Negated;
    }

    /// <summary>True when <paramref name="domain"/> is in the list.</summary>
    public bool Contains(string domain)
    {
        var name = domain.TrimEnd('.').ToLowerInvariant();
        foreach (var (negated, match) in _items)
        {
            if (match(name))
                return !negated;
        }

        return _defaultResult;
    }

    private static (bool, Func<string, bool>) Parse(string item)
    {
        var text = item.Trim();
        var negated = text.StartsWith('!');
        if (negated)
            text = text[1..].Trim();
        if (text.Length == 0)
            throw new FormatException($"empty item in domain list: '{item}'");
        if (text == "*")
            return (negated, _ => true);
        if (text.StartsWith('^'))
        {
            try
            {
                var regex = new Regex(text, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                return (negated, regex.IsMatch);
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"'{item}' is not a regular expression: {e.Message}", e);
            }
        }

        if (text.StartsWith('*'))
        {
            var suffix = text[1..].ToLowerInvariant();
            return (negated, name => name.EndsWith(suffix, StringComparison.Ordinal));
        }

        var exact = text.TrimEnd('.').ToLowerInvariant();
        return (negated, name => name == exact);
    }
}
