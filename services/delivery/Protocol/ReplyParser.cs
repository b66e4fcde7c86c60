using System.Buffers;
using System.Text;

namespace Pipeline.Delivery.Protocol;

/// <summary>
/// Reads one reply, single or multi-line, from the input (RFC 5321 §4.2.1: <c>code-text</c>
/// lines then <c>code SP text</c>). Pure: no I/O. Lines are bounded; every line of a reply
/// must carry the same code.
/// </summary>
public static class ReplyParser
{
    /// <summary>The longest reply line accepted, CRLF included; RFC 5321 §4.5.3.1.5 allows 512.</summary>
    public const int MaxLine = 4096;

    /// <summary>The most lines one reply may have.</summary>
    public const int MaxLines = 256;

    /// <summary>
    /// Takes a whole reply from <paramref name="buffer"/> and advances past it; returns false
    /// with nothing consumed when the reply is not complete yet.
    /// </summary>
    /// <exception cref="SmtpProtocolException">The reply is malformed or too long.</exception>
    public static bool TryParse(ref ReadOnlySequence<byte> buffer, out SmtpReply? reply)
    {
        reply = null;
        var reader = new SequenceReader<byte>(buffer);
        var lines = new List<string>();
        var code = 0;
        while (true)
        {
            if (!reader.TryReadTo(out ReadOnlySequence<byte> raw, (byte)'\n', advancePastDelimiter: true))
            {
                if (reader.Remaining > MaxLine)
                    throw new SmtpProtocolException("reply line too long");
                return false;
            }

            if (raw.Length > MaxLine)
                throw new SmtpProtocolException("reply line too long");
            var line = Encoding.UTF8.GetString(raw).TrimEnd('\r');
            if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), out var lineCode) || lineCode < 200 || lineCode > 599
                || (line.Length > 3 && line[3] is not (' ' or '-')))
                throw new SmtpProtocolException($"malformed reply line: {Truncate(line)}");
            if (code != 0 && lineCode != code)
                throw new SmtpProtocolException($"reply code changed within a reply: {Truncate(line)}");
            code = lineCode;
            lines.Add(line.Length > 4 ? line[4..] : "");
            if (lines.Count > MaxLines)
                throw new SmtpProtocolException("reply has too many lines");
            if (line.Length == 3 || line[3] == ' ')
                break;
        }

        buffer = buffer.Slice(reader.Position);
        reply = new SmtpReply(code, lines);
        return true;
    }

    private static string Truncate(string line) => line.Length > 80 ? line[..80] + "..." : line;
}

/// <summary>The conversation with a server broke: malformed replies, a drop or a timeout.</summary>
public sealed class SmtpProtocolException(string message, Exception? inner = null, SmtpProtocolFailure failure = SmtpProtocolFailure.Malformed)
    : Exception(message, inner)
{
    /// <summary>How it broke: the retry rules tell a timeout and a lost connection apart.</summary>
    public SmtpProtocolFailure Failure { get; } = failure;
}

/// <summary>How a conversation with a server broke.</summary>
public enum SmtpProtocolFailure
{
    /// <summary>The server said something that is not SMTP, or sent what it must not.</summary>
    Malformed,

    /// <summary>The server did not answer in time (Exim's <c>timeout</c> retry error).</summary>
    Timeout,

    /// <summary>The server closed the connection, or it broke (Exim's <c>lost_connection</c>).</summary>
    LostConnection,
}
