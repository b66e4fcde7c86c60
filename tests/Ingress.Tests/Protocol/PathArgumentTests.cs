using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Tests.Protocol;

public class PathArgumentTests
{
    [Theory]
    [InlineData("FROM:<a@b.example>", "a@b.example")]
    [InlineData("from:<a@b.example>", "a@b.example")]
    [InlineData("FROM: <a@b.example>", "a@b.example")]
    [InlineData("FROM:<>", "")]
    [InlineData("FROM:<@relay.example:a@b.example>", "a@b.example")]
    [InlineData("FROM:<\"odd>local\"@b.example>", "\"odd>local\"@b.example")]
    [InlineData("FROM:<a@[192.0.2.1]>", "a@[192.0.2.1]")]
    [InlineData("FROM:<\"a@other.example\"@b.example>", "\"a@other.example\"@b.example")]
    [InlineData("FROM:<\"a\\\"b\"@b.example>", "\"a\\\"b\"@b.example")]
    [InlineData("FROM:<a..b.@b.example>", "a..b.@b.example")]
    [InlineData("FROM:<a+tag=x!y%z@b.example>", "a+tag=x!y%z@b.example")]
    [InlineData("FROM:<\u00e9l\u00e8ve@b.example>", "\u00e9l\u00e8ve@b.example")]
    public void valid_reverse_paths_parse(string argument, string address)
    {
        var path = PathArgument.Parse(argument, "FROM", allowNull: true, out var error);
        Assert.True(path is not null, error);
        Assert.Equal(address, path.Address);
    }

    [Theory]
    [InlineData("FROM:a@b.example", "enclosed")]
    [InlineData("FROM:<a@b.example", "missing >")]
    [InlineData("TO:<a@b.example>", "FROM: expected")]
    [InlineData("FROM:<a>", "not a valid address")]
    [InlineData("FROM:<a@-b.example>", "not a valid address")]
    [InlineData("FROM:<a@b..example>", "not a valid address")]
    [InlineData("FROM:<a@b.example> =x", "malformed parameter")]
    [InlineData("FROM:<a@other.example?@b.example>", "not a valid address")]
    [InlineData("FROM:<a(comment)@b.example>", "not a valid address")]
    [InlineData("FROM:<a,b@b.example>", "not a valid address")]
    [InlineData("FROM:<a b@b.example>", "not a valid address")]
    [InlineData("FROM:<a[1]@b.example>", "not a valid address")]
    [InlineData("FROM:<a\\b@b.example>", "not a valid address")]
    [InlineData("FROM:<\"unterminated@b.example>", "missing >")]
    [InlineData("FROM:<\"a\"b\"@b.example>", "missing >")]
    [InlineData("FROM:<\"a\tb\"@b.example>", "not a valid address")]
    // Found with the smtp-command fuzz target's properties (tests/Fuzz): a blank or control in an address
    // literal, and the C1 controls U+0080 to U+009F, which the UTF-8 of RFC 6531 can carry.
    [InlineData("FROM:<a@b.example> RET=FULL RET=HDRS", "duplicate parameter RET")]
    [InlineData("FROM:<a@b.example> size=1 SIZE=2", "duplicate parameter SIZE")]
    [InlineData("FROM:<a@[192.0.2.1 x]>", "not a valid address")]
    [InlineData("FROM:<a@[]>", "not a valid address")]
    [InlineData("FROM:<a@[a\\b]>", "not a valid address")]
    [InlineData("FROM:<a\u0085b@b.example>", "not a valid address")]
    [InlineData("FROM:<a@b\u009b.example>", "not a valid address")]
    [InlineData("FROM:<\"a\u0085b\"@b.example>", "not a valid address")]
    public void invalid_reverse_paths_say_why(string argument, string reason)
    {
        Assert.Null(PathArgument.Parse(argument, "FROM", allowNull: true, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void the_null_path_is_refused_where_not_allowed()
    {
        Assert.Null(PathArgument.Parse("TO:<>", "TO", allowNull: false, out var error));
        Assert.Contains("empty address", error, StringComparison.Ordinal);
    }

    [Fact]
    public void parameters_are_split_and_keywords_upper_cased()
    {
        var path = PathArgument.Parse("FROM:<a@b.example> size=1000 BODY=8BITMIME SMTPUTF8", "FROM", true, out _)!;
        Assert.Equal("1000", path.Parameters["SIZE"]);
        Assert.Equal("8BITMIME", path.Parameters["BODY"]);
        Assert.Null(path.Parameters["SMTPUTF8"]);
    }
}
