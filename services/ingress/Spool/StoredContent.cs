using System.Text;

namespace Pipeline.Ingress.Spool;

/// <summary>
/// The message as stored: ingress's trace header, then the headers policy added, then the
/// client's content without the header fields policy removed (a forged Authentication-Results,
/// RFC 8601 §5). Without changes, the bytes as received, uncopied.
/// </summary>
public static class StoredContent
{
    /// <summary>
    /// True when the field <paramref name="line"/> is what <paramref name="removal"/> (<c>Name: value</c>)
    /// names: the same name, ignoring case, and a value that starts with that value as a whole
    /// word, whatever the spaces after the colon.
    /// </summary>
    public static bool Matches(string line, string removal)
    {
        var colon = line.IndexOf(':');
        var removalColon = removal.IndexOf(':');
        if (colon <= 0 || removalColon <= 0 || !line.AsSpan(0, colon).Trim().Equals(removal.AsSpan(0, removalColon).Trim(), StringComparison.OrdinalIgnoreCase))
            return false;
        var value = line[(colon + 1)..].TrimStart();
        var wanted = removal[(removalColon + 1)..].Trim();
        return value.StartsWith(wanted, StringComparison.OrdinalIgnoreCase)
               && (value.Length == wanted.Length || !(char.IsLetterOrDigit(value[wanted.Length]) || value[wanted.Length] is '.' or '-'));
    }

    /// <summary>Builds the stored bytes from <paramref name="received"/>, whose first <paramref name="traceLength"/> bytes are the trace header.</summary>
    public static ReadOnlyMemory<byte> Build(ReadOnlyMemory<byte> received, int traceLength, IReadOnlyList<string> added, IReadOnlyList<string> removed)
    {
        if (added.Count == 0 && removed.Count == 0)
            return received;
        var output = new MemoryStream(received.Length + 256);
        output.Write(received.Span[..traceLength]);
        foreach (var header in added)
            output.Write(Encoding.UTF8.GetBytes(header.TrimEnd('\r', '\n') + "\r\n"));
        var content = received.Span[traceLength..];
        if (removed.Count == 0)
        {
            output.Write(content);
            return output.ToArray();
        }

        // Header fields up to the first empty line: a field is its line and the folded lines after it.
        var position = 0;
        var keep = true;
        while (position < content.Length)
        {
            var end = content[position..].IndexOf("\r\n"u8);
            var lineLength = end < 0 ? content.Length - position : end + 2;
            var line = content.Slice(position, lineLength);
            if (line.Length <= 2 && end == 0)
                break;   // the empty line: the body follows
            if (line[0] is not ((byte)' ' or (byte)'\t'))
            {
                var text = Encoding.UTF8.GetString(line);
                keep = !removed.Any(r => Matches(text, r));
            }

            if (keep)
                output.Write(line);
            position += lineLength;
        }

        output.Write(content[position..]);
        return output.ToArray();
    }
}
