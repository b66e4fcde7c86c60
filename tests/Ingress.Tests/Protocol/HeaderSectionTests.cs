using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Tests.Protocol;

/// <summary>
/// The decoder's measure of the header section and its count of Received fields, which the
/// header size limit and the mail loop check rest on, against a plain reading of what it stored.
/// </summary>
public partial class HeaderSectionTests
{
    // Decodes DATA content, fed in chunks of the given size, up to its terminator.
    private static (DataDecoder Decoder, string Stored) Decode(string content, int chunk)
    {
        var decoder = new DataDecoder(1 << 20, 1000);
        var output = new ArrayBufferWriter<byte>();
        var bytes = Encoding.Latin1.GetBytes(content + "\r\n.\r\n");
        var pending = Array.Empty<byte>();
        for (var i = 0; i < bytes.Length; i += chunk)
        {
            pending = [.. pending, .. bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i))];
            var buffer = new ReadOnlySequence<byte>(pending);
            var ended = decoder.Decode(ref buffer, output);
            pending = buffer.ToArray();
            if (ended)
                return (decoder, Encoding.Latin1.GetString(output.WrittenSpan));
        }

        throw new InvalidOperationException("the terminator was not seen");
    }

    // The header section as a reader of the stored message sees it: the lines before the first
    // empty one, each with its CRLF.
    private static (long Size, int Received) Reference(string stored)
    {
        var lines = stored.Split("\r\n")[..^1];
        var header = lines.TakeWhile(l => l.Length > 0).ToList();
        return (header.Sum(l => l.Length + 2L), header.Count(l => ReceivedField().IsMatch(l)));
    }

    [GeneratedRegex("^received[ \t]*:", RegexOptions.IgnoreCase)]
    private static partial Regex ReceivedField();

    private static readonly Gen<string> Line = Gen.OneOf(
        "Received: from a by b", "received:x", "RECEIVED \t: y", "Received", "Received x:", "X-Received: z",
        " Received: folded", "\tReceived: folded", "Receive: d", "Subject: s", ".Received: stuffed", "..dots", "", "body text");

    private static readonly Gen<string> Ending = Gen.OneOf("\r\n", "\r\n", "\r\n", "\n", "\r");

    [Fact]
    public void measures_the_header_section_and_counts_received_fields_as_a_reader_of_the_stored_message()
    {
        Gen.Select(Gen.Select(Line, Ending, (l, e) => l + e).Array[0, 40], Gen.Int[1, 64])
            .Sample((lines, chunk) =>
            {
                var (decoder, stored) = Decode(string.Concat(lines), chunk);
                var (size, received) = Reference(stored);
                Assert.Equal(size, decoder.HeaderSize);
                Assert.Equal(received, decoder.ReceivedFields);
            }, iter: 5000);
    }

    [Theory]
    [InlineData("Received: a\r\nReceived: b\r\nSubject: s\r\n\r\nReceived: in the body\r\n", 2, 38)]
    [InlineData("\r\nReceived: after an empty first line\r\n", 0, 0)]
    [InlineData("received   : lower case, blanks\r\nReceived\t:tab\r\n", 2, 48)]
    [InlineData("X-Received: no\r\nReceivedX: no\r\n Received: a continuation\r\n", 0, 58)]
    public void counts_only_the_received_fields_of_the_header_section(string content, int received, long size)
    {
        foreach (var chunk in new[] { 1, 2, 3, 7, 1000 })
        {
            var (decoder, _) = Decode(content, chunk);
            Assert.Equal(received, decoder.ReceivedFields);
            Assert.Equal(size, decoder.HeaderSize);
        }
    }
}
