using System.Net;
using Pipeline.Delivery.Routing;
using Pipeline.Infrastructure.Dns;

namespace Pipeline.Delivery.Tests.Routing;

public class RouterTests
{
    private sealed class Zone : IDnsResolver
    {
        public Dictionary<string, DnsResult<MxRecord>> Mx { get; } = new(StringComparer.OrdinalIgnoreCase);

        public Task<DnsResult<MxRecord>> GetMxAsync(string domain, CancellationToken cancellationToken) =>
            Task.FromResult(Mx.TryGetValue(domain, out var r) ? r : new DnsResult<MxRecord>(DnsStatus.NameNotFound, [], false));

        public Task<DnsResult<IPAddress>> GetAddressesAsync(string host, CancellationToken cancellationToken) =>
            Task.FromResult(new DnsResult<IPAddress>(DnsStatus.NameNotFound, [], false));

        public Task<DnsResult<IPAddress>> GetAddressesAsync(string host, System.Net.Sockets.AddressFamily family, CancellationToken cancellationToken) =>
            GetAddressesAsync(host, cancellationToken);

        public Task<DnsResult<string>> GetTxtAsync(string name, CancellationToken cancellationToken) =>
            Task.FromResult(new DnsResult<string>(DnsStatus.NameNotFound, [], false));

        public Task<DnsResult<string>> GetPtrAsync(IPAddress address, CancellationToken cancellationToken) =>
            Task.FromResult(new DnsResult<string>(DnsStatus.NameNotFound, [], false));

        public Task<DnsResult<TlsaRecord>> GetTlsaAsync(string name, CancellationToken cancellationToken) =>
            Task.FromResult(new DnsResult<TlsaRecord>(DnsStatus.NoData, [], false));
    }

    private static DeliveryOptions Options(params RouteOptions[] routes) => new() { Routes = [.. routes] };

    [Fact]
    public async Task the_route_table_comes_before_mx()
    {
        var zone = new Zone();
        zone.Mx["example.test"] = new(DnsStatus.Found, [new MxRecord(10, "mx.example.test")], false);
        var router = new Router(Options(new RouteOptions { Domains = ["example.test"], Hosts = ["127.0.0.1:2626", "[::1]:26", "relay.test"] }), zone);
        var route = (await router.RouteAsync("example.test", default)).Route!;
        Assert.Equal("route", route.RouterName);
        Assert.Equal([new RouteHost("127.0.0.1", 2626), new RouteHost("::1", 26, Preference: 1), new RouteHost("relay.test", 25, Preference: 2)], route.Hosts);
    }

    [Fact]
    public async Task mx_hosts_come_in_preference_order()
    {
        var zone = new Zone();
        zone.Mx["mail.test"] = new(DnsStatus.Found, [new MxRecord(20, "b.mail.test"), new MxRecord(5, "a.mail.test"), new MxRecord(20, "c.mail.test")], false);
        var route = (await new Router(Options(), zone).RouteAsync("mail.test", default)).Route!;
        Assert.Equal("dnslookup", route.RouterName);
        Assert.Equal("a.mail.test", route.Hosts[0].Name);
        Assert.Equal(["b.mail.test", "c.mail.test"], route.Hosts.Skip(1).Select(h => h.Name).Order());
    }

    [Fact]
    public async Task a_domain_without_mx_is_its_own_host()
    {
        var zone = new Zone();
        zone.Mx["plain.test"] = new(DnsStatus.NoData, [], false);
        var route = (await new Router(Options(), zone).RouteAsync("plain.test", default)).Route!;
        Assert.Equal([new RouteHost("plain.test", 25)], route.Hosts);
    }

    [Fact]
    public async Task a_null_mx_fails_at_once_and_a_missing_domain_is_unrouteable()
    {
        var zone = new Zone();
        zone.Mx["null.test"] = new(DnsStatus.Found, [new MxRecord(0, "")], false);
        var router = new Router(Options(), zone);
        var nullMx = await router.RouteAsync("null.test", default);
        Assert.Null(nullMx.Route);
        Assert.False(nullMx.Temporary);
        Assert.Contains("null MX", nullMx.Error, StringComparison.Ordinal);
        var missing = await router.RouteAsync("missing.test", default);
        Assert.Equal("Unrouteable address", missing.Error);
    }

    [Fact]
    public async Task a_dns_failure_is_temporary()
    {
        var zone = new Zone();
        zone.Mx["flaky.test"] = new(DnsStatus.TemporaryFailure, [], false, "SERVFAIL");
        var result = await new Router(Options(), zone).RouteAsync("flaky.test", default);
        Assert.True(result.Temporary);
    }

    [Fact]
    public async Task equal_mx_hosts_in_any_order_give_one_key_and_other_preferences_do_not()
    {
        var zone = new Zone();
        zone.Mx["a.test"] = new(DnsStatus.Found, [new MxRecord(10, "mx1.test"), new MxRecord(10, "mx2.test"), new MxRecord(20, "backup.test")], false);
        zone.Mx["b.test"] = new(DnsStatus.Found, [new MxRecord(10, "mx2.test"), new MxRecord(10, "MX1.test"), new MxRecord(20, "backup.test")], false);
        zone.Mx["c.test"] = new(DnsStatus.Found, [new MxRecord(10, "mx1.test"), new MxRecord(20, "mx2.test"), new MxRecord(20, "backup.test")], false);
        var router = new Router(Options(), zone);
        var orders = new HashSet<string>();
        var keys = new HashSet<string>();
        for (var i = 0; i < 50; i++)
        {
            foreach (var domain in new[] { "a.test", "b.test" })
            {
                var route = (await router.RouteAsync(domain, default)).Route!;
                orders.Add(string.Join(',', route.Hosts.Select(h => h.Name.ToLowerInvariant())));
                keys.Add(route.Key);
                Assert.Equal("backup.test", route.Hosts[^1].Name);
            }
        }

        Assert.Equal(2, orders.Count); // the equal hosts are shuffled ...
        Assert.Single(keys); // ... and group together whatever their order
        Assert.NotEqual(keys.Single(), (await router.RouteAsync("c.test", default)).Route!.Key);
    }
}
