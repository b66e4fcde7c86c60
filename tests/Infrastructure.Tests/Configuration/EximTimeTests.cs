using Pipeline.Infrastructure.Configuration;

namespace Pipeline.Infrastructure.Tests.Configuration;

public class EximTimeTests
{
    [Theory]
    [InlineData("15m", 900)]
    [InlineData("1h30m", 5400)]
    [InlineData("2d", 172800)]
    [InlineData("1w", 604800)]
    [InlineData("5s", 5)]
    [InlineData("90", 90)]
    [InlineData("1d12h", 129600)]
    [InlineData(" 2h ", 7200)]
    public void exim_times_parse(string text, int seconds) => Assert.Equal(TimeSpan.FromSeconds(seconds), EximTime.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("0s")]
    [InlineData("h")]
    [InlineData("10x")]
    [InlineData("-5m")]
    [InlineData("1.5h")]
    [InlineData("99999999999999999999w")]
    [InlineData("9999999999999w")]
    public void anything_else_is_refused(string text)
    {
        Assert.False(EximTime.TryParse(text, out _));
        Assert.Throws<FormatException>(() => EximTime.Parse(text));
    }
}
