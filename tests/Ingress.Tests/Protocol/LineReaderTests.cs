using System.Buffers;
using System.Text;
using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Tests.Protocol;

public class LineReaderTests
{
    [Fact]
    public void every_prefix_of_a_line_is_incomplete_and_consumes_nothing()
    {
        var bytes = Encoding.ASCII.GetBytes("MAIL FROM:<a@b.c>\r\n");
        for (var n = 0; n < bytes.Length; n++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, n);
            Assert.Equal(LineResult.Incomplete, LineReader.TryRead(ref buffer, 512, out _));
            Assert.Equal(n, buffer.Length);
        }
    }

    [Fact]
    public void a_whole_line_is_taken_without_its_crlf_and_the_rest_is_left()
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("NOOP\r\nQUIT\r\n"));
        Assert.Equal(LineResult.Line, LineReader.TryRead(ref buffer, 512, out var line));
        Assert.Equal("NOOP", Encoding.ASCII.GetString(line));
        Assert.Equal("QUIT\r\n", Encoding.ASCII.GetString(buffer));
    }

    [Theory]
    [InlineData("NOOP\nQUIT\r\n", "NOOP\nQUIT")]
    [InlineData("NOOP\rQUIT\r\n", "NOOP\rQUIT")]
    public void a_bare_lf_or_cr_does_not_end_a_command_line(string input, string expected)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(input));
        Assert.Equal(LineResult.Line, LineReader.TryRead(ref buffer, 512, out var line));
        Assert.Equal(expected, Encoding.ASCII.GetString(line));
    }

    [Fact]
    public void a_line_past_the_limit_is_too_long_whether_or_not_its_crlf_came()
    {
        var withCrlf = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(new string('x', 600) + "\r\n"));
        Assert.Equal(LineResult.TooLong, LineReader.TryRead(ref withCrlf, 512, out _));
        var without = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(new string('x', 512)));
        Assert.Equal(LineResult.TooLong, LineReader.TryRead(ref without, 512, out _));
    }
}
