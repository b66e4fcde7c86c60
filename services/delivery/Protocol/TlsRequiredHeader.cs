using System.Text;

namespace Pipeline.Delivery.Protocol;

/// <summary>
/// The <c>TLS-Required</c> header field (RFC 8689 §3): <c>TLS-Required: No</c> in a message's
/// header section asks that the recipient's TLS policies not hold it back. Pure: reads the
/// header section of the stored bytes (up to the first empty line), unfolds continuation lines
/// (RFC 5322 §2.2.3), and matches the field name and the value <c>No</c> without regard to case,
/// as ABNF's quoted strings are. Any other value, or a field given twice with different values,
/// counts as not saying No: the header can only relax TLS, so anything unclear keeps it.
/// </summary>
public static class TlsRequiredHeader
{
    private static readonly byte[] Name = "TLS-Required:"u8.ToArray();

    /// <summary>True when the message's header section says <c>TLS-Required: No</c>.</summary>
    public static bool SaysNo(ReadOnlySpan<byte> content)
    {
        var end = content.IndexOf("\r\n\r\n"u8);
        var headers = end < 0 ? content : content[..(end + 2)];
        var sawNo = false;
        while (!headers.IsEmpty)
        {
            var line = NextField(ref headers);
            if (line.Length < Name.Length || !Ascii.EqualsIgnoreCase(line[..Name.Length], Name))
                continue;
            var value = Encoding.ASCII.GetString(line[Name.Length..]).Replace("\r\n", "", StringComparison.Ordinal).Trim(' ', '\t');
            if (!value.Equals("No", StringComparison.OrdinalIgnoreCase))
                return false;
            sawNo = true;
        }

        return sawNo;
    }

    // One header field, its continuation lines included, without its final CRLF.
    private static ReadOnlySpan<byte> NextField(ref ReadOnlySpan<byte> headers)
    {
        var length = 0;
        while (true)
        {
            var newline = headers[length..].IndexOf("\r\n"u8);
            if (newline < 0)
            {
                var all = headers;
                headers = [];
                return all;
            }

            length += newline + 2;
            if (length >= headers.Length || headers[length] is not ((byte)' ' or (byte)'\t'))
            {
                var field = headers[..(length - 2)];
                headers = headers[length..];
                return field;
            }
        }
    }
}
