using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Tests.Protocol;

public class BdatArgumentTests
{
    [Theory]
    [InlineData("100", 100, false)]
    [InlineData("0 LAST", 0, true)]
    [InlineData("12 last", 12, true)]
    [InlineData("  7   LAST ", 7, true)]
    public void reads_the_size_and_the_last_marker(string argument, long size, bool last) =>
        Assert.Equal(new BdatArgument(size, last), BdatArgument.Parse(argument));

    [Theory]
    [InlineData("")]
    [InlineData("LAST")]
    [InlineData("+5")]              // chunk-size is 1*DIGIT (RFC 3030 §2): no sign
    [InlineData("-0")]
    [InlineData("5 FIRST")]
    [InlineData("5 LAST more")]
    [InlineData("1e3")]
    [InlineData("99999999999999999999")]
    public void refuses_anything_else(string argument) => Assert.Null(BdatArgument.Parse(argument));
}
