using System.Net;
using Pipeline.Infrastructure.Lists;

namespace Pipeline.Infrastructure.Tests.Lists;

public class HostListTests
{
    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1", true)]
    [InlineData("127.0.0.1", "127.0.0.2", false)]
    [InlineData("127.0.0.0/8", "127.9.9.9", true)]
    [InlineData("10.1.2.3/8", "10.200.0.1", true)]
    [InlineData("192.0.2.0/24", "192.0.3.1", false)]
    [InlineData("::1", "::1", true)]
    [InlineData("2001:db8::/32", "2001:db8:1::5", true)]
    [InlineData("127.0.0.1", "::ffff:127.0.0.1", true)]
    [InlineData("*", "203.0.113.9", true)]
    public void single_items_match_as_exim_documents(string item, string address, bool expected) =>
        Assert.Equal(expected, new HostList([item]).Contains(IPAddress.Parse(address)));

    [Fact]
    public void the_first_match_decides_and_negation_excludes()
    {
        var list = new HostList(["!127.0.0.9", "127.0.0.0/8"]);
        Assert.False(list.Contains(IPAddress.Parse("127.0.0.9")));
        Assert.True(list.Contains(IPAddress.Parse("127.0.0.1")));
        Assert.False(list.Contains(IPAddress.Parse("192.0.2.1")));
    }

    [Theory]
    [InlineData("host.example")]
    [InlineData("10.0.0.0/33")]
    [InlineData("")]
    public void items_that_are_not_addresses_are_refused(string item) =>
        Assert.Throws<FormatException>(() => new HostList([item]));

    [Theory]
    [InlineData("mx1.example.com", "mx1.example.com", true)]
    [InlineData("mx1.example.com", "MX1.Example.COM.", true)]
    [InlineData("mx1.example.com", "mx2.example.com", false)]
    [InlineData("*.example.com", "mx1.example.com", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*example.com", "example.com", true)]
    [InlineData(@"^mx\d\.example\.com$", "mx7.example.com", true)]
    [InlineData(@"^mx\d\.example\.com$", "mxa.example.com", false)]
    [InlineData("*.example.com", null, false)]
    [InlineData("*.example.com", "192.0.2.1", false)]
    public void in_delivery_lists_names_and_name_patterns_match_the_hosts_name(string item, string? name, bool expected) =>
        Assert.Equal(expected, new HostList([item], names: true).Contains(IPAddress.Parse("192.0.2.1"), name));

    [Fact]
    public void two_names_on_one_address_are_told_apart_and_addresses_still_match()
    {
        var list = new HostList(["!mx-plain.example.com", "*.example.com", "198.51.100.0/24"], names: true);
        var shared = IPAddress.Parse("192.0.2.1");
        Assert.True(list.Contains(shared, "mx-ocsp.example.com"));
        Assert.False(list.Contains(shared, "mx-plain.example.com"));
        Assert.False(list.Contains(shared, null));
        Assert.True(list.Contains(IPAddress.Parse("198.51.100.7"), "other.test"));
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("")]
    [InlineData("host name")]
    [InlineData("^(unclosed")]
    [InlineData("*.exa mple.com")]
    public void delivery_lists_refuse_what_is_neither_address_nor_name(string item) =>
        Assert.Throws<FormatException>(() => new HostList([item], names: true));
}
