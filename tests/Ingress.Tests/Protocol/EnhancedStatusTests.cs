using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Tests.Protocol;

public class EnhancedStatusTests
{
    [Theory]
    [InlineData("2.0.0 OK", 6)]
    [InlineData("5.7.1 relay not permitted", 6)]
    [InlineData("4.123.456 odd but valid", 10)]
    [InlineData("OK id=abc", 0)]
    [InlineData("3.0.0 not a class", 0)]
    [InlineData("2.0 too short", 0)]
    [InlineData("2.0.0", 0)]
    [InlineData("2.1234.0 subject too long", 0)]
    [InlineData("mx.example.test Hello", 0)]
    public void measures_the_code_and_its_space(string text, int length) =>
        Assert.Equal(length, EnhancedStatus.Measure(text));
}
