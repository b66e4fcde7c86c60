using System.Buffers;
using System.Text;
using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Tests.Protocol;

public class DataDecoderTests
{
    // Feeds the input in chunks of every size from 1 up, so that every split point is seen.
    private static (string Content, bool Ended, string Left) Decode(string input, int chunk, long limit = 1 << 20)
    {
        var decoder = new DataDecoder(limit);
        var output = new ArrayBufferWriter<byte>();
        var bytes = Encoding.Latin1.GetBytes(input);
        var pending = Array.Empty<byte>();
        for (var i = 0; i < bytes.Length; i += chunk)
        {
            var end = Math.Min(i + chunk, bytes.Length);
            pending = [.. pending, .. bytes.AsSpan(i, end - i)];
            var buffer = new ReadOnlySequence<byte>(pending);
            var ended = decoder.Decode(ref buffer, output);
            pending = buffer.ToArray();
            if (ended)
                return (Encoding.Latin1.GetString(output.WrittenSpan), true, Encoding.Latin1.GetString([.. pending, .. bytes.AsSpan(end)]));
        }

        return (Encoding.Latin1.GetString(output.WrittenSpan), false, Encoding.Latin1.GetString(pending));
    }

    public static TheoryData<string, string> Messages => new()
    {
        { "Subject: x\r\n\r\nhello\r\n.\r\n", "Subject: x\r\n\r\nhello\r\n" },
        { ".\r\n", "" },
        { "..leading dot\r\n.\r\n", ".leading dot\r\n" },
        { "a\r\n..\r\n...\r\n.\r\n", "a\r\n.\r\n..\r\n" },
        { "no final newline.\r\n.\r\n", "no final newline.\r\n" },
        { "line\r\n.x\r\n.\r\n", "line\r\nx\r\n" },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void dot_stuffing_is_removed_at_every_split(string input, string expected)
    {
        for (var chunk = 1; chunk <= input.Length; chunk++)
        {
            var (content, ended, left) = Decode(input, chunk);
            Assert.True(ended, $"chunk {chunk}: no end seen");
            Assert.Equal(expected, content);
            Assert.Equal("", left);
        }
    }

    // The published SMTP smuggling variants: none of them ends the data; only CRLF.CRLF does,
    // and everything before it, the would-be second message included, is content.
    [Theory]
    [InlineData("\n.\n")]
    [InlineData("\n.\r\n")]
    [InlineData("\r.\r")]
    [InlineData("\r\n.\r")]
    [InlineData("\r.\r\n")]
    [InlineData("\n.\r")]
    [InlineData("\r.\n")]
    [InlineData("\r\n.\n")]
    public void a_smuggling_terminator_never_ends_the_data(string fake)
    {
        var input = $"first\r\nbody{fake}MAIL FROM:<evil@x.test>\r\nRCPT TO:<v@y.test>\r\nDATA\r\nsmuggled\r\n.\r\nQUIT\r\n";
        for (var chunk = 1; chunk <= input.Length; chunk += 3)
        {
            var (content, ended, left) = Decode(input, chunk);
            Assert.True(ended);
            Assert.Contains("MAIL FROM:<evil@x.test>", content, StringComparison.Ordinal);
            Assert.EndsWith("smuggled\r\n", content, StringComparison.Ordinal);
            Assert.Equal("QUIT\r\n", left);
        }
    }

    [Fact]
    public void content_past_the_limit_is_counted_but_not_kept()
    {
        var (content, ended, _) = Decode("0123456789\r\n0123456789\r\n.\r\n", 5, limit: 8);
        Assert.True(ended);
        Assert.Equal("01234567", content);
        var decoder = new DataDecoder(8);
        var buffer = new ReadOnlySequence<byte>("0123456789\r\n.\r\n"u8.ToArray());
        decoder.Decode(ref buffer, new ArrayBufferWriter<byte>());
        Assert.True(decoder.TooBig);
        Assert.Equal(12, decoder.Size);
    }
}
