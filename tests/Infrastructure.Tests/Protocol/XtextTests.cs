using Pipeline.Infrastructure.Protocol;

namespace Pipeline.Infrastructure.Tests.Protocol;

public class XtextTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a+b=c", "a+2Bb+3Dc")]
    [InlineData("two words", "two+20words")]
    [InlineData("café", "caf+C3+A9")]
    [InlineData("rfc822;a@example.test", "rfc822;a@example.test")]
    public void encodes_as_rfc_3461_writes_it_and_decodes_back(string text, string xtext)
    {
        Assert.Equal(xtext, Xtext.Encode(text));
        Assert.Equal(text, Xtext.Decode(xtext));
    }

    [Theory]
    [InlineData("a+2b")] // hex digits are upper case (RFC 3461 §4)
    [InlineData("a+2")]
    [InlineData("a+")]
    [InlineData("a=b")]
    [InlineData("a b")]
    [InlineData("é")]
    public void decoding_refuses_what_is_not_xtext(string text) => Assert.Null(Xtext.Decode(text));
}
