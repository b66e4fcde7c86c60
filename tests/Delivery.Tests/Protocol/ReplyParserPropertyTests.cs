using System.Buffers;
using System.Globalization;
using System.Text;
using CsCheck;
using Pipeline.Delivery.Protocol;

namespace Pipeline.Delivery.Tests.Protocol;

/// <summary>
/// Replies written here as RFC 5321 §4.2.1 says (<c>code-text</c> lines, then <c>code SP
/// text</c>) read back to the same code and lines however the bytes arrive; a reply whose
/// lines disagree on the code breaks the conversation.
/// </summary>
public class ReplyParserPropertyTests
{
    // Text as servers write it: printable ASCII, blanks and dashes and digits among it, some
    // UTF-8, possibly empty.
    private static readonly Gen<string> Text = Gen.Frequency((8, Gen.Char[' ', '~']), (1, Gen.Char["é中€"]))
        .Array[0, 60].Select(c => new string(c));

    private static readonly Gen<(int Code, string[] Lines)> Reply = Gen.Select(Gen.Int[200, 599], Text.Array[1, 6]);

    private static string Format(int code, string[] lines, string ending, bool bareCode) =>
        string.Concat(lines.Select((text, i) =>
            code.ToString(CultureInfo.InvariantCulture)
            + (i < lines.Length - 1 ? "-" + text : text.Length == 0 && bareCode ? "" : " " + text)
            + ending));

    private static readonly Gen<string> Ending = Gen.Frequency((5, Gen.Const("\r\n")), (1, Gen.Const("\n")));

    // Feeds the bytes cut at the given places: until a reply is whole, nothing is consumed.
    private static List<SmtpReply> ParseAll(byte[] bytes, int[] cuts, out byte[] left)
    {
        var replies = new List<SmtpReply>();
        var points = cuts.Select(c => c % (bytes.Length + 1)).Append(bytes.Length).Distinct().Order().ToArray();
        var pending = Array.Empty<byte>();
        var start = 0;
        foreach (var point in points)
        {
            pending = [.. pending, .. bytes[start..point]];
            start = point;
            while (true)
            {
                var buffer = new ReadOnlySequence<byte>(pending);
                if (!ReplyParser.TryParse(ref buffer, out var reply))
                {
                    Assert.Equal(pending.Length, buffer.Length);
                    break;
                }

                replies.Add(reply!);
                pending = buffer.ToArray();
            }
        }

        left = pending;
        return replies;
    }

    [Fact]
    public void pipelined_replies_parse_back_to_their_codes_and_lines_however_they_are_chunked()
    {
        Gen.Select(Gen.Select(Reply, Ending, Gen.Bool).Array[1, 4], Gen.Int[0, 100_000].Array[0, 10], Text)
            .Sample((replies, cuts, partial) =>
            {
                // Ends with the start of a reply still coming, which must stay unconsumed.
                var tail = "250-" + partial;
                var bytes = Encoding.UTF8.GetBytes(string.Concat(replies.Select(r => Format(r.Item1.Code, r.Item1.Lines, r.Item2, r.Item3))) + tail);
                var parsed = ParseAll(bytes, cuts, out var left);
                Assert.Equal(replies.Length, parsed.Count);
                for (var i = 0; i < replies.Length; i++)
                {
                    Assert.Equal(replies[i].Item1.Code, parsed[i].Code);
                    Assert.Equal(replies[i].Item1.Lines, parsed[i].Lines);
                }

                Assert.Equal(tail, Encoding.UTF8.GetString(left));
            });
    }

    // A multi-line reply whose lines do not all carry the same code (§4.2.1: "each line of a
    // multiline reply" carries the code) is a protocol error once the stray line is whole.
    [Fact]
    public void a_line_with_another_code_is_a_protocol_error()
    {
        Gen.Select(Reply.Where(r => r.Lines.Length > 1), Gen.Int[200, 599], Gen.Int[0, 100], Gen.Int[0, 100_000].Array[0, 6])
            .Where((r, other, _, _) => other != r.Code)
            .Sample((reply, other, which, cuts) =>
            {
                var lines = Format(reply.Code, reply.Lines, "\r\n", false).Split("\r\n")[..^1];
                var stray = 1 + which % (lines.Length - 1);
                lines[stray] = other.ToString(CultureInfo.InvariantCulture) + lines[stray][3..];
                var bytes = Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\r\n")));
                Assert.Throws<SmtpProtocolException>(() => ParseAll(bytes, cuts, out _));
            });
    }

    // Codes outside 200-599 or not three digits, and a fourth character that is neither a
    // space nor a dash, are protocol errors.
    [Fact]
    public void a_malformed_reply_line_is_a_protocol_error()
    {
        var badCode = Gen.OneOf(
            Gen.Int[0, 199].Select(c => c.ToString("D3", CultureInfo.InvariantCulture)),
            Gen.Int[600, 999].Select(c => c.ToString(CultureInfo.InvariantCulture)),
            Gen.Char["abcxyz:. "].Array[3].Select(c => new string(c)),
            Gen.Int[0, 99].Select(c => c.ToString(CultureInfo.InvariantCulture)));
        var good = Gen.Int[200, 599].Select(c => c.ToString(CultureInfo.InvariantCulture));
        Gen.OneOf(
                Gen.Select(badCode, Gen.OneOf(" ", "-"), Text, (c, s, t) => c + s + t),
                Gen.Select(good, Gen.Char['!', '~'].Where(c => c != '-'), Text, (c, s, t) => c + s + t))
            .Sample(line =>
            {
                var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(line + "\r\n"));
                Assert.Throws<SmtpProtocolException>(() => ReplyParser.TryParse(ref buffer, out _));
            });
    }
}
