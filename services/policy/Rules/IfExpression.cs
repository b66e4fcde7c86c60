namespace Pipeline.Policy.Rules;

/// <summary>
/// Exim's <c>${if COND {yes}{no}}</c>, with the conditions rules need: <c>eq{a}{b}</c>,
/// <c>eqi{a}{b}</c> and <c>def:name</c>, each negated by a leading <c>!</c>. Its parts are
/// kept unexpanded; they are expanded when the expression is evaluated.
/// </summary>
public sealed class IfExpression
{
    private readonly bool _negated;
    private readonly string _operator;
    private readonly string[] _operands;
    private readonly string? _yes;
    private readonly string? _no;

    private IfExpression(bool negated, string op, string[] operands, string? yes, string? no)
    {
        (_negated, _operator, _operands, _yes, _no) = (negated, op, operands, yes, no);
    }

    /// <summary>The texts inside it that are expanded in turn.</summary>
    public IEnumerable<string> Parts => _operands.Concat(new[] { _yes, _no }.OfType<string>());

    /// <summary>Parses the expression starting at <paramref name="start"/> (<c>${if</c>); <paramref name="end"/> is the index of its closing brace.</summary>
    public static bool TryParse(string text, int start, out IfExpression expression, out int end)
    {
        expression = null!;
        end = -1;
        if (string.CompareOrdinal(text, start, "${if", 0, 4) != 0 || start + 4 >= text.Length || !char.IsWhiteSpace(text[start + 4]))
            return false;
        var p = SkipSpaces(text, start + 4);
        var negated = p < text.Length && text[p] == '!';
        if (negated)
            p = SkipSpaces(text, p + 1);

        string op;
        var operands = new List<string>();
        if (string.CompareOrdinal(text, p, "def:", 0, 4) == 0)
        {
            op = "def";
            var nameEnd = p + 4;
            while (nameEnd < text.Length && (char.IsAsciiLetterOrDigit(text[nameEnd]) || text[nameEnd] == '_'))
                nameEnd++;
            if (nameEnd == p + 4)
                return false;
            operands.Add(text[(p + 4)..nameEnd]);
            p = nameEnd;
        }
        else
        {
            op = string.CompareOrdinal(text, p, "eqi", 0, 3) == 0 ? "eqi" : string.CompareOrdinal(text, p, "eq", 0, 2) == 0 ? "eq" : "";
            if (op.Length == 0)
                return false;
            p = SkipSpaces(text, p + op.Length);
            for (var n = 0; n < 2; n++)
            {
                if (!Group(text, ref p, out var operand))
                    return false;
                operands.Add(operand);
                p = SkipSpaces(text, p);
            }
        }

        p = SkipSpaces(text, p);
        string? yes = null, no = null;
        if (Group(text, ref p, out var yesText))
        {
            yes = yesText;
            p = SkipSpaces(text, p);
            if (Group(text, ref p, out var noText))
                no = noText;
        }

        p = SkipSpaces(text, p);
        if (p >= text.Length || text[p] != '}')
            return false;
        expression = new IfExpression(negated, op, [.. operands], yes, no);
        end = p;
        return true;
    }

    /// <summary>The expansion: the yes text (or <c>true</c>) when the condition holds, the no text (or nothing) otherwise.</summary>
    public async Task<string> EvaluateAsync(PolicyContext context)
    {
        bool holds;
        if (_operator == "def")
        {
            holds = !string.IsNullOrEmpty(await context.ValueAsync(_operands[0]).ConfigureAwait(false));
        }
        else
        {
            var left = await Expansion.ExpandAsync(_operands[0], context).ConfigureAwait(false);
            var right = await Expansion.ExpandAsync(_operands[1], context).ConfigureAwait(false);
            holds = string.Equals(left, right, _operator == "eqi" ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
        }

        if (holds != _negated)
            return _yes is null ? "true" : await Expansion.ExpandAsync(_yes, context).ConfigureAwait(false);
        return _no is null ? "" : await Expansion.ExpandAsync(_no, context).ConfigureAwait(false);
    }

    private static int SkipSpaces(string text, int p)
    {
        while (p < text.Length && char.IsWhiteSpace(text[p]))
            p++;
        return p;
    }

    // {text} at p, braces nested; p moves past it.
    private static bool Group(string text, ref int p, out string group)
    {
        group = "";
        if (p >= text.Length || text[p] != '{')
            return false;
        var close = Expansion.Close(text, p + 1);
        if (close < 0)
            return false;
        group = text[(p + 1)..close];
        p = close + 1;
        return true;
    }
}
