using Pipeline.Contracts.Policy;

namespace Pipeline.Policy.Rules;

/// <summary>
/// Reads a rule file (docs/rules.md): ACLs in Exim's own statement syntax, each headed by the
/// name of its stage and a colon (<c>rcpt:</c>, or Exim's <c>acl_check_rcpt:</c> form). A
/// statement starts with a verb; its conditions and modifiers follow, on the verb's line and
/// on the indented lines below, each <c>[!]name = value</c>. <c>#</c> starts a comment line; a
/// line ending in <c>\</c> continues on the next, the backslash and the next line's leading
/// whitespace removed as Exim removes them. Every mistake is reported with its line.
/// </summary>
public static partial class RuleFileParser
{
    /// <summary>The conditions the engine knows (Exim's names).</summary>
    public static readonly IReadOnlySet<string> Conditions = new HashSet<string>(StringComparer.Ordinal)
    {
        "hosts", "domains", "local_parts", "senders", "authenticated", "spf", "dmarc_status", "ratelimit", "condition",
    };

    /// <summary>The modifiers the engine knows (Exim's names).</summary>
    public static readonly IReadOnlySet<string> Modifiers = new HashSet<string>(StringComparer.Ordinal)
    {
        "message", "log_message", "add_header", "set", "control", "logwrite",
    };

    private static readonly Dictionary<string, PolicyStage> Stages = new(StringComparer.OrdinalIgnoreCase)
    {
        ["connect"] = PolicyStage.Connect, ["helo"] = PolicyStage.Helo, ["mail"] = PolicyStage.Mail, ["rcpt"] = PolicyStage.Rcpt,
        ["predata"] = PolicyStage.Predata, ["data"] = PolicyStage.Data, ["prdr"] = PolicyStage.Prdr, ["data_prdr"] = PolicyStage.Prdr,
    };

    /// <summary>Parses <paramref name="text"/>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="FormatException">The file breaks the syntax, with the line and what is wrong.</exception>
    public static RuleSet Parse(string text, string source)
    {
        var acls = new Dictionary<PolicyStage, IReadOnlyList<AclStatement>>();
        List<AclStatement>? current = null;
        AclVerb? verb = null;
        var verbLine = 0;
        List<AclItem> items = [];

        void EndStatement()
        {
            if (verb is { } v)
                current!.Add(new AclStatement(v, items, verbLine));
            verb = null;
            items = [];
        }

        foreach (var (line, number) in LogicalLines(text))
        {
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
                continue;
            var error = (string what) => new FormatException($"{source}:{number}: {what}");

            if (!char.IsWhiteSpace(line[0]) && trimmed.EndsWith(':') && !trimmed.Contains('='))
            {
                EndStatement();
                var name = trimmed[..^1].Trim();
                if (name.StartsWith("acl_check_", StringComparison.OrdinalIgnoreCase))
                    name = name["acl_check_".Length..];
                if (!Stages.TryGetValue(name, out var stage))
                    throw error($"unknown ACL '{name}': one of {string.Join(", ", Stages.Keys)}");
                if (acls.ContainsKey(stage))
                    throw error($"a second ACL for {stage}");
                current = [];
                acls[stage] = current;
                continue;
            }

            var rest = trimmed;
            var firstWord = trimmed.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries)[0];
            if (Enum.TryParse<AclVerb>(firstWord, ignoreCase: true, out var newVerb) && firstWord.All(char.IsAsciiLetterLower))
            {
                if (current is null)
                    throw error("a statement before any ACL name (such as 'rcpt:')");
                EndStatement();
                verb = newVerb;
                verbLine = number;
                rest = trimmed[firstWord.Length..].Trim();
                if (rest.Length == 0)
                    continue;
            }
            else if (verb is null)
            {
                throw error($"expected a verb (accept, deny, defer, discard, warn, require), found '{firstWord}'");
            }

            items.Add(ParseItem(rest, number, error));
        }

        EndStatement();
        return new RuleSet(acls);
    }

    private static AclItem ParseItem(string text, int line, Func<string, FormatException> error)
    {
        var negated = text.StartsWith('!');
        if (negated)
            text = text[1..].TrimStart();
        string name, value;
        if (text.StartsWith("set ", StringComparison.Ordinal) || text.StartsWith("set\t", StringComparison.Ordinal))
        {
            // set acl_m_name = value: the variable and its value are the modifier's value.
            (name, value) = ("set", text[4..].Trim());
        }
        else
        {
            var equals = text.IndexOf('=');
            if (equals <= 0)
                throw error($"expected 'name = value', found '{text}'");
            (name, value) = (text[..equals].Trim(), text[(equals + 1)..].Trim());
        }

        if (!Conditions.Contains(name) && !Modifiers.Contains(name))
            throw error($"unknown condition or modifier '{name}'");
        if (negated && !Conditions.Contains(name))
            throw error($"'!' applies to conditions only, not to '{name}'");
        if (!Expansion.IsSupported(value))
            throw error($"'{value}' uses an Exim expansion operator; only $variable and ${{variable}} are expanded");
        if (name == "set" && !SetTarget().IsMatch(value))
            throw error("'set' takes 'acl_c<name> = value' or 'acl_m<name> = value'");
        return new AclItem(name, negated, value, line);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^acl_[cm][_0-9A-Za-z]+\s*=")]
    private static partial System.Text.RegularExpressions.Regex SetTarget();

    // Physical lines joined where one ends in a backslash, with the number of the first. As in
    // Exim, a comment line is never continued, and comment lines within a continuation are skipped.
    private static IEnumerable<(string Line, int Number)> LogicalLines(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var start = i + 1;
            var line = lines[i];
            while (!IsComment(line) && line.EndsWith('\\') && i + 1 < lines.Length)
            {
                if (!IsComment(lines[++i]))
                    line = line[..^1] + lines[i].TrimStart();
            }

            yield return (line, start);
        }
    }

    private static bool IsComment(string line) => line.TrimStart().StartsWith('#');
}
