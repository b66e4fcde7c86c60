namespace Pipeline.Delivery.Socks;

/// <summary>
/// The order in which the proxies of <c>Delivery:SocksProxy</c> are tried for one connection,
/// as Exim's <c>socks_proxy</c> defines it: by priority, higher values first; within one
/// priority at random, each proxy drawn with a chance proportional to its weight, until one
/// responds. With the defaults (every <c>pri</c> and <c>weight</c> 1) the proxies share the
/// load evenly.
/// </summary>
public static class SocksProxyOrder
{
    /// <summary>The proxies in the order to try them, drawn with <paramref name="random"/>.</summary>
    public static IReadOnlyList<SocksProxy> Arrange(IReadOnlyList<SocksProxy> proxies, Random random)
    {
        var ordered = new List<SocksProxy>(proxies.Count);
        foreach (var group in proxies.GroupBy(p => p.Priority).OrderByDescending(g => g.Key))
        {
            var left = group.ToList();
            while (left.Count > 0)
            {
                // A weighted draw without replacement: pick by weight among those left.
                var ticket = random.NextInt64(left.Sum(p => (long)p.Weight));
                var index = 0;
                while (ticket >= left[index].Weight)
                    ticket -= left[index++].Weight;
                ordered.Add(left[index]);
                left.RemoveAt(index);
            }
        }

        return ordered;
    }
}
