using Pipeline.Infrastructure.Hosting;
using System.Net;

namespace Pipeline.Infrastructure.Lists;

/// <summary>
/// A host list with Exim's semantics for addresses (Exim specification, "Host lists"): items
/// tried left to right, the first match decides; <c>!item</c> negates; <c>*</c> matches every
/// host; an IPv4 or IPv6 address matches itself; <c>address/bits</c> is a CIDR block. IPv4
/// clients seen as IPv4-mapped IPv6 addresses match IPv4 items. A list that ends in a negated
/// item accepts what nothing matched.
/// </summary>
public sealed class HostList
{
    private readonly (bool Negated, Func<IPAddress, bool> Match)[] _items;
    private readonly bool _defaultResult;

    /// <summary>Builds a list from its items.</summary>
    /// <exception cref="FormatException">An item is not <c>*</c>, an address or a CIDR block.</exception>
    public HostList(IEnumerable<string> items)
    {
        _items = items.Select(Parse).ToArray();
        _defaultResult = _items.Length > 0 && _items[^1].Negated;
    }

    /// <summary>True when the list has no items (it matches nothing).</summary>
    public bool IsEmpty => _items.Length == 0;

    /// <summary>True when <paramref name="address"/> is in the list.</summary>
    public bool Contains(IPAddress address)
    {
        var host = address.Unmapped();
        foreach (var (negated, match) in _items)
        {
            if (match(host))
                return !negated;
        }

        return _defaultResult;
    }

    private static (bool, Func<IPAddress, bool>) Parse(string item)
    {
        var text = item.Trim();
        var negated = text.StartsWith('!');
        if (negated)
            text = text[1..].Trim();
        if (text == "*")
            return (negated, _ => true);
        var slash = text.IndexOf('/');
        if (slash > 0 && IPAddress.TryParse(text[..slash], out var baseAddress)
            && int.TryParse(text[(slash + 1)..], out var bits)
            && bits >= 0 && bits <= (baseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128))
        {
            // Exim masks the address itself: 10.1.2.3/8 is 10.0.0.0/8.
            var network = new IPNetwork(Mask(baseAddress, bits), bits);
            return (negated, network.Contains);
        }

        if (slash < 0 && IPAddress.TryParse(text.Trim('[', ']'), out var single))
            return (negated, a => a.Equals(single));
        throw new FormatException($"host list item '{item}' is not *, an address or address/bits");
    }

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
