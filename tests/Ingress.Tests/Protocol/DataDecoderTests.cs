using System.Buffers;
using System.Text;
using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Tests.Protocol;

public class DataDecoderTests
{
    // Feeds the input in chunks of every size from 1 up, so that every split point is seen.
    private static (string Content, bool Ended, string Left) Decode(string input, int chunk, long limit = 1 << 20)
    {
        var decoder = new DataDecoder(limit, 1000);
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

    // Whatever the client's line endings, what is stored has only CRLF, so that no server
    // further on can be fooled either.
    [Theory]
    [InlineData("a\nb\r\n.\r\n", "a\r\nb\r\n", 1)]
    [InlineData("a\rb\r\n.\r\n", "a\r\nb\r\n", 1)]
    [InlineData("a\r\r\n.\r\n", "a\r\n\r\n", 1)]
    [InlineData("x\n.\n\r\n.\r\n", "x\r\n\r\n\r\n", 2)]
    [InlineData("x\r.\r\n.\r\n", "x\r\n.\r\n", 1)]
    public void bare_line_endings_are_stored_as_crlf(string input, string expected, int bare)
    {
        for (var chunk = 1; chunk <= input.Length; chunk++)
        {
            var decoder = new DataDecoder(1 << 20, 1000);
            var output = new ArrayBufferWriter<byte>();
            var bytes = Encoding.Latin1.GetBytes(input);
            var pending = Array.Empty<byte>();
            var ended = false;
            for (var i = 0; i < bytes.Length && !ended; i += chunk)
            {
                pending = [.. pending, .. bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i))];
                var buffer = new ReadOnlySequence<byte>(pending);
                ended = decoder.Decode(ref buffer, output);
                pending = buffer.ToArray();
            }

            Assert.True(ended);
            Assert.Equal(expected, Encoding.Latin1.GetString(output.WrittenSpan));
            Assert.Equal(bare, decoder.BareLineEndings);
        }
    }

    [Fact]
    public void bdat_content_keeps_its_dots_and_a_final_cr_waits_for_complete()
    {
        var decoder = new DataDecoder(1 << 20, 1000, dotStuffed: false);
        var output = new ArrayBufferWriter<byte>();
        var first = new ReadOnlySequence<byte>(".a\r\n.\r"u8.ToArray());
        Assert.False(decoder.Decode(ref first, output));
        Assert.Equal(0, first.Length);
        var second = new ReadOnlySequence<byte>("\nb\r"u8.ToArray());
        decoder.Decode(ref second, output);
        decoder.Complete(output);
        Assert.Equal(".a\r\n.\r\nb\r\n", Encoding.Latin1.GetString(output.WrittenSpan));
    }

    [Fact]
    public void a_line_longer_than_the_limit_is_noted()
    {
        var decoder = new DataDecoder(1 << 20, 10);
        var buffer = new ReadOnlySequence<byte>("0123456789\r\n01234567890\r\n.\r\n"u8.ToArray());
        Assert.True(decoder.Decode(ref buffer, new ArrayBufferWriter<byte>()));
        Assert.True(decoder.LineTooLong);
    }

    [Fact]
    public void content_past_the_limit_is_counted_but_not_kept()
    {
        var (content, ended, _) = Decode("0123456789\r\n0123456789\r\n.\r\n", 5, limit: 8);
        Assert.True(ended);
        Assert.Equal("01234567", content);
        var decoder = new DataDecoder(8, 1000);
        var buffer = new ReadOnlySequence<byte>("0123456789\r\n.\r\n"u8.ToArray());
        decoder.Decode(ref buffer, new ArrayBufferWriter<byte>());
        Assert.True(decoder.TooBig);
        Assert.Equal(12, decoder.Size);
    }
}
