using Pipeline.Infrastructure.Hosting;
using System.Net;

namespace Pipeline.Infrastructure.Lists;

/// <summary>
/// A host list with Exim's semantics (Exim specification, "Host lists"): items tried left to
/// right, the first match decides; <c>!item</c> negates; <c>*</c> matches every host; an IPv4
/// or IPv6 address matches itself; <c>address/bits</c> is a CIDR block. IPv4 clients seen as
/// IPv4-mapped IPv6 addresses match IPv4 items. A list that ends in a negated item accepts
/// what nothing matched.
/// </summary>
/// <remarks>
/// Lists built with names allowed (delivery's, where each server's name is known from the
/// route or the MX record) also match the host's name, as Exim does in its transports:
/// <c>*suffix</c> (<c>*.example.com</c>) and <c>^regex</c> against the name, ignoring case. A
/// plain name such as <c>mx1.example.com</c> matches a host of that name; unlike Exim, which
/// looks the name up and compares addresses, the name itself is compared, so that two names
/// on one address can be told apart (one may require OCSP, the other not), and no list check
/// costs a DNS lookup. A host known only by its address matches no name item.
/// </remarks>
public sealed class HostList
{
    private readonly (bool Negated, Func<IPAddress, string?, bool> Match)[] _items;
    private readonly bool _defaultResult;

    /// <summary>Builds a list from its items.</summary>
    /// <param name="items">The items.</param>
    /// <param name="names">True to accept host names and name patterns as items.</param>
    /// <exception cref="FormatException">
    /// An item is not <c>*</c>, an address or a CIDR block (nor, with <paramref name="names"/>, a
    /// host name, <c>*suffix</c> or a regular expression that parses).
    /// </exception>
    public HostList(IEnumerable<string> items, bool names = false)
    {
        _items = items.Select(item => Parse(item, names)).ToArray();
        _defaultResult = _items.Length > 0 && _items[^1].Negated;
    }

    /// <summary>True when the list has no items (it matches nothing).</summary>
    public bool IsEmpty => _items.Length == 0;

    /// <summary>True when the host at <paramref name="address"/>, named <paramref name="hostName"/> when known, is in the list.</summary>
    public bool Contains(IPAddress address, string? hostName = null)
    {
        var host = address.Unmapped();
        var name = hostName is null || IPAddress.TryParse(hostName, out _) ? null : hostName;
        foreach (var (negated, match) in _items)
        {
            if (match(host, name))
                return !negated;
        }

        return _defaultResult;
    }

    private static (bool, Func<IPAddress, string?, bool>) Parse(string item, bool names)
    {
        var text = item.Trim();
        var negated = text.StartsWith('!');
        if (negated)
            text = text[1..].Trim();
        if (text == "*")
            return (negated, (_, _) => true);
        var slash = text.IndexOf('/');
        if (slash > 0 && IPAddress.TryParse(text[..slash], out var baseAddress)
            && int.TryParse(text[(slash + 1)..], out var bits)
            && bits >= 0 && bits <= (baseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128))
        {
            // Exim masks the address itself: 10.1.2.3/8 is 10.0.0.0/8.
            var network = new IPNetwork(Mask(baseAddress, bits), bits);
            return (negated, (a, _) => network.Contains(a));
        }

        if (slash < 0 && IPAddress.TryParse(text.Trim('[', ']'), out var single))
            return (negated, (a, _) => a.Equals(single));
        if (names && IsNamePattern(text))
        {
            // The name patterns are a domain list's: *suffix, ^regex, or the name itself.
            var pattern = new DomainList([text]);
            return (negated, (_, name) => name is not null && pattern.Contains(name));
        }

        throw new FormatException(names
            ? $"host list item '{item}' is not *, an address, address/bits, a host name, *suffix or ^regex"
            : $"host list item '{item}' is not *, an address or address/bits (host names are matched only in delivery's host lists)");
    }

    // A regular expression, a *suffix, or what a host name is made of (Exim also allows '_').
    private static bool IsNamePattern(string text) =>
        text.StartsWith('^')
        || (text.StartsWith('*') && text.Length > 1 && text[1..].All(IsNameCharacter))
        || (text.Length > 0 && text.All(IsNameCharacter) && text.Any(char.IsAsciiLetter));

    private static bool IsNameCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_';

    private static IPAddress Mask(IPAddress address, int bits)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(bits - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPAddress(bytes);
    }
}
