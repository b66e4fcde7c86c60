namespace Pipeline.Policy.Rules;

/// <summary>
/// Exim's list syntax: items separated by colons, a doubled colon standing for a colon in an
/// item, and a leading <c>&lt;c</c> choosing another separator c (<c>&lt;; ::1 ; 10.0.0.1</c>),
/// as IPv6 addresses need. Items are trimmed; an empty item is kept (<c>senders = :</c> is the
/// null sender).
/// </summary>
public static class EximList
{
    /// <summary>The items of <paramref name="text"/>.</summary>
    public static IReadOnlyList<string> Split(string text)
    {
        text = text.Trim();
        var separator = ':';
        if (text.StartsWith("<\\n", StringComparison.Ordinal))
        {
            // <\n: one item per line, as multi-valued lookups give them.
            separator = '\n';
            text = text[3..];
        }
        else if (text.Length >= 2 && text[0] == '<' && !char.IsWhiteSpace(text[1]) && !char.IsLetterOrDigit(text[1]))
        {
            separator = text[1];
            text = text[2..];
        }

        var items = new List<string>();
        var item = new System.Text.StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != separator)
            {
                item.Append(text[i]);
                continue;
            }

            if (i + 1 < text.Length && text[i + 1] == separator)
            {
                item.Append(separator);
                i++;
                continue;
            }

            items.Add(item.ToString().Trim());
            item.Clear();
        }

        if (item.Length > 0 || items.Count > 0 || text.Length > 0)
            items.Add(item.ToString().Trim());
        return items;
    }

    /// <summary>
    /// Exim's list matching: the first item that matches decides, <c>!item</c> meaning "not";
    /// when none matches, a list whose last item is negated matches, any other does not.
    /// </summary>
    public static bool Matches(IReadOnlyList<string> items, Func<string, bool> match)
    {
        foreach (var raw in items)
        {
            var negated = raw.StartsWith('!');
            var item = negated ? raw[1..].Trim() : raw;
            if (match(item))
                return !negated;
        }

        return items.Count > 0 && items[^1].StartsWith('!');
    }
}
