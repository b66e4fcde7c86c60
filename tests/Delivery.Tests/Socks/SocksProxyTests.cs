using System.Net;
using Pipeline.Delivery.Socks;

namespace Pipeline.Delivery.Tests.Socks;

public class SocksProxyTests
{
    [Fact]
    public void An_address_alone_takes_exims_defaults()
    {
        var proxy = SocksProxy.Parse("192.0.2.7");
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.7"), 1080), proxy.EndPoint);
        Assert.False(proxy.Authenticates);
        Assert.Equal(TimeSpan.FromSeconds(5), proxy.Timeout);
        Assert.Equal("[192.0.2.7]:1080", proxy.ToString());
    }

    [Fact]
    public void Every_option_is_read()
    {
        var proxy = SocksProxy.Parse("  2001:db8::5  auth=name name=relay pass=pw=with=equals port=9050 tmo=12 pri=1 weight=2 ");
        Assert.Equal(IPAddress.Parse("2001:db8::5"), proxy.Address);
        Assert.Equal(9050, proxy.Port);
        Assert.Equal("relay", proxy.UserName);
        Assert.Equal("pw=with=equals", proxy.Password);
        Assert.Equal(TimeSpan.FromSeconds(12), proxy.Timeout);
    }

    [Fact]
    public void Auth_none_ignores_a_name_and_password()
    {
        var proxy = SocksProxy.Parse("127.0.0.1 auth=none name=relay pass=secret");
        Assert.False(proxy.Authenticates);
        Assert.Null(proxy.Password);
    }

    [Theory]
    [InlineData("", "needs an IP address")]
    [InlineData("proxy.example", "is not an IP address")]
    [InlineData("127.0.0.1 port=0", "port=0 is not a port number")]
    [InlineData("127.0.0.1 port=70000", "port=70000 is not a port number")]
    [InlineData("127.0.0.1 tmo=0", "tmo=0 is not a number of seconds")]
    [InlineData("127.0.0.1 auth=gssapi", "choose auth=none or auth=name")]
    [InlineData("127.0.0.1 auth=name name=relay", "auth=name needs name=... and pass=...")]
    [InlineData("127.0.0.1 colour=blue", "unknown option 'colour'")]
    public void Mistakes_are_named(string specification, string expected)
    {
        var e = Assert.Throws<FormatException>(() => SocksProxy.Parse(specification));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_specification_never_repeats_a_password()
    {
        var e = Assert.Throws<FormatException>(() => SocksProxy.Parse("127.0.0.1 auth=name name=relay pass s3cret"));
        Assert.DoesNotContain("s3cret", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_report_the_index_of_a_bad_proxy()
    {
        var options = new DeliveryOptions { SocksProxy = ["127.0.0.1", "127.0.0.1 port=x"] };
        var e = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Equal("Delivery:SocksProxy:1: port=x is not a port number", e.Message);
    }
}

public class SocksProxyOrderTests
{
    private static SocksProxy Proxy(string specification) => SocksProxy.Parse(specification);

    [Fact]
    public void pri_and_weight_default_to_one_and_are_read()
    {
        Assert.Equal((1, 1), (Proxy("192.0.2.1").Priority, Proxy("192.0.2.1").Weight));
        var proxy = Proxy("192.0.2.1 pri=3 weight=5");
        Assert.Equal((3, 5), (proxy.Priority, proxy.Weight));
        Assert.Throws<FormatException>(() => Proxy("192.0.2.1 weight=0"));
        Assert.Throws<FormatException>(() => Proxy("192.0.2.1 pri=high"));
    }

    [Fact]
    public void higher_priorities_are_tried_first_whatever_the_draw()
    {
        var low = Proxy("192.0.2.1 pri=1");
        var high = Proxy("192.0.2.2 pri=5");
        var middle = Proxy("192.0.2.3 pri=2 weight=100");
        var random = new Random(7);
        for (var i = 0; i < 100; i++)
            Assert.Equal([high, middle, low], SocksProxyOrder.Arrange([low, high, middle], random));
    }

    [Fact]
    public void within_a_priority_each_proxy_comes_first_in_proportion_to_its_weight()
    {
        var one = Proxy("192.0.2.1 weight=1");
        var three = Proxy("192.0.2.2 weight=3");
        var random = new Random(42);
        var first = Enumerable.Range(0, 40_000).Select(_ => SocksProxyOrder.Arrange([one, three], random)).ToList();
        Assert.All(first, order => Assert.Equal(2, order.Count));
        var share = first.Count(order => order[0] == three) / 40_000.0;
        Assert.InRange(share, 0.73, 0.77);
    }
}
