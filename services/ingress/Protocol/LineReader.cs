using System.Buffers;

namespace Pipeline.Ingress.Protocol;

/// <summary>
/// Takes one CRLF-terminated command line from the input (RFC 5321 §2.3.8). Pure: no I/O.
/// A bare LF does not end a command line.
/// </summary>
public static class LineReader
{
    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    /// <summary>
    /// Takes a line from <paramref name="buffer"/>, without its CRLF, and advances the buffer past it.
    /// </summary>
    /// <returns>
    /// <see cref="LineResult.Line"/>; <see cref="LineResult.Incomplete"/> with nothing consumed
    /// when no CRLF came within <paramref name="maxLength"/> bytes yet; <see cref="LineResult.TooLong"/>
    /// when <paramref name="maxLength"/> bytes came without one (the buffer is left as it was).
    /// </returns>
    public static LineResult TryRead(ref ReadOnlySequence<byte> buffer, int maxLength, out ReadOnlySequence<byte> line)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (reader.TryReadTo(out line, Crlf, advancePastDelimiter: true))
        {
            if (line.Length + 2 > maxLength)
                return LineResult.TooLong;
            buffer = buffer.Slice(reader.Position);
            return LineResult.Line;
        }

        line = default;
        return buffer.Length >= maxLength ? LineResult.TooLong : LineResult.Incomplete;
    }
}

/// <summary>The outcome of <see cref="LineReader.TryRead"/>.</summary>
public enum LineResult
{
    /// <summary>A whole line was taken.</summary>
    Line,

    /// <summary>More input is needed; nothing was consumed.</summary>
    Incomplete,

    /// <summary>The line is longer than allowed.</summary>
    TooLong,
}
