using System.Buffers;

namespace Pipeline.Delivery.Protocol;

/// <summary>
/// Encodes message content for DATA (RFC 5321 §4.5.2): a dot at the start of a line is
/// doubled, and the content ends with <c>CRLF.CRLF</c>. Pure.
/// </summary>
public static class DotStuffing
{
    /// <summary>Writes the encoded content and the terminator to <paramref name="output"/>.</summary>
    public static void Encode(ReadOnlySpan<byte> content, IBufferWriter<byte> output)
    {
        var atLineStart = true;
        while (!content.IsEmpty)
        {
            if (atLineStart && content[0] == (byte)'.')
                output.Write("."u8);
            var newline = content.IndexOf((byte)'\n');
            var line = newline < 0 ? content : content[..(newline + 1)];
            output.Write(line);
            content = content[line.Length..];
            atLineStart = newline >= 0;
        }

        output.Write(atLineStart ? ".\r\n"u8 : "\r\n.\r\n"u8);
    }
}
