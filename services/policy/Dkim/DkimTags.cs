namespace Pipeline.Policy.Dkim;

/// <summary>
/// A tag-list (RFC 6376 §3.2): <c>tag=value</c> pairs separated by semicolons, whitespace around
/// names and values ignored, values unfolded.
/// </summary>
public static class DkimTags
{
    /// <summary>The tags of <paramref name="text"/>, by name; null when the list is malformed or names a tag twice.</summary>
    public static Dictionary<string, string>? Parse(string text)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in text.Split(';'))
        {
            var trimmed = part.Trim();
            if (trimmed.Length == 0)
                continue;
            var equals = trimmed.IndexOf('=');
            if (equals <= 0)
                return null;
            var name = trimmed[..equals].Trim();
            // Unfolded: a fold's CRLF goes, its blanks stay, as WSP inside a value is significant.
            var value = new string(trimmed[(equals + 1)..].Where(c => c is not ('\r' or '\n')).ToArray()).Trim();
            if (!tags.TryAdd(name, value))
                return null;
        }

        return tags;
    }
}
