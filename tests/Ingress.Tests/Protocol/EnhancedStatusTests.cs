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

    [Fact]
    public void strips_the_code_of_every_line()
    {
        Assert.Equal("250 OK id=x", EnhancedStatus.Strip("250 2.0.0 OK id=x"));
        Assert.Equal("353 PRDR content analysis beginning\r\n550 no\r\n250 OK\r\n",
            EnhancedStatus.Strip("353 PRDR content analysis beginning\r\n550 5.7.1 no\r\n250 2.0.0 OK\r\n"));
        Assert.Equal("250 mx.example.test Hello 1.2.3.4", EnhancedStatus.Strip("250 mx.example.test Hello 1.2.3.4"));
    }

    [Fact]
    public void composes_unless_the_text_brings_its_own_code_of_the_same_class()
    {
        Assert.Equal("550 5.7.1 go away", EnhancedStatus.Compose("550", "5.7.1", "go away"));
        Assert.Equal("550 5.1.1 no such user", EnhancedStatus.Compose("550", "5.7.1", "5.1.1 no such user"));
        Assert.Equal("451 4.7.1 2.0.0 mismatched", EnhancedStatus.Compose("451", "4.7.1", "2.0.0 mismatched"));
    }

    [Fact]
    public void finds_the_code_of_a_reply()
    {
        Assert.Equal("5.5.4", EnhancedStatus.Of("501 5.5.4 invalid SIZE parameter"));
        Assert.Null(EnhancedStatus.Of("501 invalid"));
    }
}
