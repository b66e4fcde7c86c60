using System.Buffers;

namespace Pipeline.Ingress.Protocol;

/// <summary>
/// Decodes the DATA phase (RFC 5321 §4.1.1.4, §4.5.2): removes dot-stuffing and finds the end
/// of data, which is only <c>CRLF.CRLF</c>: a bare LF or bare CR never ends a line here, so
/// <c>LF.LF</c> and its variants cannot end a message early (the SMTP smuggling class).
/// Pure: no I/O. One decoder per message.
/// </summary>
public sealed class DataDecoder(long sizeLimit)
{
    private bool _atLineStart = true;

    /// <summary>Bytes of message content seen so far, stored or not.</summary>
    public long Size { get; private set; }

    /// <summary>True once the content exceeded the size limit; content past it is discarded.</summary>
    public bool TooBig => Size > sizeLimit;

    /// <summary>
    /// Decodes what <paramref name="buffer"/> holds into <paramref name="output"/> and advances
    /// the buffer past what it consumed. Bytes that may still turn out to be the terminator
    /// are left in the buffer.
    /// </summary>
    /// <returns>True when the terminating <c>.CRLF</c> line was consumed.</returns>
    public bool Decode(ref ReadOnlySequence<byte> buffer, IBufferWriter<byte> output)
    {
        var reader = new SequenceReader<byte>(buffer);
        try
        {
            while (!reader.End)
            {
                if (_atLineStart && reader.TryPeek(out var first) && first == (byte)'.')
                {
                    if (reader.Remaining < 3 && IsPrefixOfTerminator(reader))
                        return false;
                    if (reader.IsNext(".\r\n"u8, advancePast: true))
                        return true;
                    reader.Advance(1); // a stuffed dot
                }

                if (reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8, advancePastDelimiter: true))
                {
                    Write(line, output);
                    Write("\r\n"u8, output);
                    _atLineStart = true;
                    continue;
                }

                // No CRLF yet: keep all but a trailing CR, which may begin one.
                var rest = reader.UnreadSequence;
                var keep = rest.Slice(rest.Length - 1).FirstSpan[0] == (byte)'\r' ? rest.Length - 1 : rest.Length;
                Write(rest.Slice(0, keep), output);
                reader.Advance(keep);
                if (keep > 0)
                    _atLineStart = false;
                return false;
            }

            return false;
        }
        finally
        {
            buffer = buffer.Slice(reader.Position);
        }
    }

    private static bool IsPrefixOfTerminator(SequenceReader<byte> reader)
    {
        Span<byte> head = stackalloc byte[3];
        var available = (int)Math.Min(reader.Remaining, 3);
        reader.TryCopyTo(head[..available]);
        return ".\r\n"u8[..available].SequenceEqual(head[..available]);
    }

    private void Write(ReadOnlySequence<byte> bytes, IBufferWriter<byte> output)
    {
        foreach (var segment in bytes)
            Write(segment.Span, output);
    }

    private void Write(ReadOnlySpan<byte> bytes, IBufferWriter<byte> output)
    {
        var room = sizeLimit - Size;
        Size += bytes.Length;
        if (room > 0)
            output.Write(bytes[..(int)Math.Min(bytes.Length, room)]);
    }
}
