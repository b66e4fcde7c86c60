using System.Buffers;
using System.Text;
using Pipeline.Delivery.Protocol;
using Pipeline.Tests.Shared;

namespace Pipeline.Fuzz.Targets;

/// <summary>
/// The SMTP client's reply parser (RFC 5321 §4.2): the same replies however the bytes arrive,
/// and a parsed reply written back parses to the same code and lines.
/// </summary>
internal static class ReplyTarget
{
    public static void Run(byte[] input)
    {
        var whole = ReadAll(new ReadOnlySequence<byte>(input));
        var chunked = ReadAll(Segments.Split(input, Property.PartSize(input)));
        Property.Require(whole.SequenceEqual(chunked), "the replies depend on how the bytes arrived");

        foreach (var reply in whole)
        {
            if (reply.StartsWith('!'))
                continue;
            var (code, lines) = (int.Parse(reply[..3], System.Globalization.CultureInfo.InvariantCulture), reply[4..].Split('\n'));
            var written = string.Concat(lines.Select((l, i) => $"{code}{(i == lines.Length - 1 ? ' ' : '-')}{l}\r\n"));
            var again = ReadAll(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(written)));
            Property.Require(again is [var one] && one == reply, $"reply written back as '{written}' parses differently");
        }
    }

    // Each reply as "code text\ntext...", an error as "!message"; stops at an incomplete reply.
    private static List<string> ReadAll(ReadOnlySequence<byte> buffer)
    {
        var replies = new List<string>();
        while (true)
        {
            try
            {
                if (!ReplyParser.TryParse(ref buffer, out var reply))
                    return replies;
                Property.Require(reply!.Code is >= 200 and <= 599 && reply.Lines.Count > 0, "a reply without a valid code or lines");
                replies.Add($"{reply.Code} {string.Join('\n', reply.Lines)}");
            }
            catch (SmtpProtocolException e)
            {
                replies.Add("!" + e.Message);
                return replies;
            }
        }
    }
}
