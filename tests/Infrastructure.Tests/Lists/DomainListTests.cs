using Pipeline.Infrastructure.Lists;

namespace Pipeline.Infrastructure.Tests.Lists;

public class DomainListTests
{
    [Theory]
    [InlineData("example.test", "example.test", true)]
    [InlineData("example.test", "EXAMPLE.test.", true)]
    [InlineData("example.test", "sub.example.test", false)]
    [InlineData("*.example.test", "sub.example.test", true)]
    [InlineData("*.example.test", "example.test", false)]
    [InlineData("*example.test", "badexample.test", true)]
    [InlineData("*", "anything.test", true)]
    [InlineData("^mx\\d+\\.example\\.test$", "mx12.example.test", true)]
    [InlineData("^mx\\d+\\.example\\.test$", "mxa.example.test", false)]
    public void single_items_match_as_exim_documents(string item, string domain, bool expected) =>
        Assert.Equal(expected, new DomainList([item]).Contains(domain));

    [Fact]
    public void the_first_matching_item_decides_and_negation_excludes()
    {
        var list = new DomainList(["!secret.example.test", "*.example.test"]);
        Assert.False(list.Contains("secret.example.test"));
        Assert.True(list.Contains("open.example.test"));
        Assert.False(list.Contains("other.test"));
    }

    [Fact]
    public void a_list_ending_in_a_negation_accepts_what_nothing_matched()
    {
        var list = new DomainList(["!bad.test"]);
        Assert.False(list.Contains("bad.test"));
        Assert.True(list.Contains("good.test"));
    }

    [Fact]
    public void an_empty_item_is_an_error() =>
        Assert.Throws<FormatException>(() => new DomainList(["a.test", " "]));
}
