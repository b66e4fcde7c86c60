using System.Buffers;
using System.Text;
using Pipeline.Delivery.Protocol;

namespace Pipeline.Delivery.Tests.Protocol;

public class ReplyParserTests
{
    private const string Ehlo = "250-mx.example.test Hello\r\n250-SIZE 1000\r\n250 PIPELINING\r\n";

    [Fact]
    public void every_prefix_of_a_multiline_reply_is_incomplete_and_consumes_nothing()
    {
        var bytes = Encoding.ASCII.GetBytes(Ehlo);
        for (var n = 0; n < bytes.Length; n++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, n);
            Assert.False(ReplyParser.TryParse(ref buffer, out _));
            Assert.Equal(n, buffer.Length);
        }
    }

    [Fact]
    public void a_multiline_reply_gives_its_code_and_lines_and_leaves_the_rest()
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(Ehlo + "354 go\r\n"));
        Assert.True(ReplyParser.TryParse(ref buffer, out var reply));
        Assert.Equal(250, reply!.Code);
        Assert.Equal(["mx.example.test Hello", "SIZE 1000", "PIPELINING"], reply.Lines);
        Assert.Equal("354 go\r\n", Encoding.ASCII.GetString(buffer));
    }

    [Theory]
    [InlineData("250\r\n", 250, "")]
    [InlineData("421 4.3.2 bye\n", 421, "4.3.2 bye")]
    public void short_and_lf_terminated_replies_parse(string input, int code, string text)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(input));
        Assert.True(ReplyParser.TryParse(ref buffer, out var reply));
        Assert.Equal(code, reply!.Code);
        Assert.Equal(text, reply.Lines[0]);
    }

    [Theory]
    [InlineData("hello\r\n")]
    [InlineData("25\r\n")]
    [InlineData("250x ok\r\n")]
    [InlineData("999 what\r\n")]
    [InlineData("250-one\r\n550 two\r\n")]
    public void malformed_replies_break_the_conversation(string input)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(input));
        Assert.Throws<SmtpProtocolException>(() => ReplyParser.TryParse(ref buffer, out _));
    }

    [Fact]
    public void an_endless_line_is_refused()
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("250 " + new string('x', ReplyParser.MaxLine + 10)));
        Assert.Throws<SmtpProtocolException>(() => ReplyParser.TryParse(ref buffer, out _));
    }
}
