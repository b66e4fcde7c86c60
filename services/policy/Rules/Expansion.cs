using System.Text;

namespace Pipeline.Policy.Rules;

/// <summary>
/// String expansion, the part of Exim's that rules need: <c>$name</c> and <c>${name}</c> are
/// replaced by the variable's value (empty when it has none), <c>\$</c> is a dollar sign.
/// Exim's expansion operators (<c>${if ...}</c>, <c>${lookup ...}</c>) are not expansion
/// syntax here: a value using them is refused when the rule file is read.
/// </summary>
public static class Expansion
{
    /// <summary>Expands <paramref name="text"/> with the variables of <paramref name="context"/>.</summary>
    public static async Task<string> ExpandAsync(string text, PolicyContext context)
    {
        if (!text.Contains('$'))
            return text;
        var output = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length && text[i + 1] == '$')
            {
                output.Append('$');
                i++;
                continue;
            }

            if (c != '$' || i + 1 >= text.Length)
            {
                output.Append(c);
                continue;
            }

            string name;
            if (text[i + 1] == '{')
            {
                var close = text.IndexOf('}', i + 2);
                name = close < 0 ? "" : text[(i + 2)..close];
                i = close < 0 ? text.Length : close;
            }
            else
            {
                var end = i + 1;
                while (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || text[end] == '_'))
                    end++;
                name = text[(i + 1)..end];
                i = end - 1;
            }

            output.Append(await context.ValueAsync(name).ConfigureAwait(false) ?? "");
        }

        return output.ToString();
    }

    /// <summary>True when <paramref name="text"/> uses only what <see cref="ExpandAsync"/> understands.</summary>
    public static bool IsSupported(string text) => !text.Contains("${if", StringComparison.Ordinal)
        && !text.Contains("${lookup", StringComparison.Ordinal) && !System.Text.RegularExpressions.Regex.IsMatch(text, @"\$\{[a-z_]+[ :{]");
}
