using System.Text;

namespace Pipeline.Policy.Rules;

/// <summary>
/// String expansion, the part of Exim's that rules need: <c>$name</c> and <c>${name}</c> are
/// replaced by the variable's value (empty when it has none), <c>\$</c> is a dollar sign, and
/// <c>${lookup redis{COMMAND args}}</c> is the reply of a Redis command, its arguments
/// expanded first, and <c>${if COND {yes}{no}}</c> chooses, COND being <c>eq{a}{b}</c>,
/// <c>eqi{a}{b}</c> (ignoring case) or <c>def:name</c> (the variable is not empty), with
/// <c>!</c> for "not"; without strings it gives <c>true</c> or nothing, as Exim's does. Exim's
/// other operators and lookups are refused when the rule file is read.
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
            if (IfExpression.TryParse(text, i, out var condition, out var ifEnd))
            {
                output.Append(await condition.EvaluateAsync(context).ConfigureAwait(false));
                i = ifEnd;
                continue;
            }

            if (string.CompareOrdinal(text, i, RedisLookupStart, 0, RedisLookupStart.Length) == 0
                && Close(text, i + RedisLookupStart.Length) is var lookupEnd and > 0 && lookupEnd + 1 < text.Length && text[lookupEnd + 1] == '}')
            {
                var command = await ExpandAsync(text[(i + RedisLookupStart.Length)..lookupEnd], context).ConfigureAwait(false);
                output.Append(await context.RedisAsync(command).ConfigureAwait(false));
                i = lookupEnd + 1;
                continue;
            }

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

    private const string RedisLookupStart = "${lookup redis{";

    /// <summary>The index of the '}' that closes the brace opened just before <paramref name="start"/>, or -1.</summary>
    public static int Close(string text, int start)
    {
        var depth = 1;
        for (var i = start; i < text.Length; i++)
        {
            if (text[i] == '{')
                depth++;
            else if (text[i] == '}' && --depth == 0)
                return i;
        }

        return -1;
    }

    /// <summary>True when <paramref name="text"/> uses only what <see cref="ExpandAsync"/> understands.</summary>
    public static bool IsSupported(string text)
    {
        for (var i = text.IndexOf("${", StringComparison.Ordinal); i >= 0; i = text.IndexOf("${", i + 2, StringComparison.Ordinal))
        {
            if (i > 0 && text[i - 1] == '\\')
                continue;
            if (IfExpression.TryParse(text, i, out var condition, out var end))
            {
                if (!condition.Parts.All(IsSupported))
                    return false;
                i = end - 1;
                continue;
            }

            if (string.CompareOrdinal(text, i, RedisLookupStart, 0, RedisLookupStart.Length) == 0)
                continue;
            var close = text.IndexOf('}', i + 2);
            if (close < 0 || !text[(i + 2)..close].All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                return false;
        }

        return true;
    }
}
