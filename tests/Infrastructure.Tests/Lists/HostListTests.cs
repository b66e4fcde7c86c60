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
}
