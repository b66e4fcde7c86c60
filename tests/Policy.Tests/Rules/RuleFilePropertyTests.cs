using System.Text;
using CsCheck;
using Pipeline.Contracts.Policy;
using Pipeline.Policy.Rules;

namespace Pipeline.Policy.Tests.Rules;

/// <summary>
/// Rule files written here in Exim's ACL syntax (docs/rules.md: a stage name and a colon, verbs,
/// <c>[!]name = value</c> items on the verb's line and the lines below, comments, blank lines,
/// backslash continuations) parse to the statements written, with their line numbers; any text
/// at all either parses or is refused with the parser's <see cref="FormatException"/>.
/// </summary>
public class RuleFilePropertyTests
{
    private static Gen<string> Text(string chars, int min, int max) => Gen.Char[chars].Array[min, max].Select(c => new string(c));

    private static readonly (string Name, PolicyStage Stage)[] Stages =
    [
        ("connect", PolicyStage.Connect), ("helo", PolicyStage.Helo), ("mail", PolicyStage.Mail), ("rcpt", PolicyStage.Rcpt),
        ("predata", PolicyStage.Predata), ("data", PolicyStage.Data), ("prdr", PolicyStage.Prdr), ("data_prdr", PolicyStage.Prdr),
    ];

    // Simple values: words, variables, an ${if}, a list; no blank at either end, no backslash.
    private static readonly Gen<string> Value = Gen.Frequency(
            (6, Text("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789.-_@:/,;*+<>[]()'\"?!|&^~%", 1, 10)),
            (2, Gen.OneOf("$sender_address", "${local_part}", "$acl_m_score", "${if eq{$domain}{example.com}{yes}{no}}", "${if def:acl_c_x}", "\\$5", "a = b", "x == y")))
        .Array[1, 4].Select(words => string.Join(' ', words));

    private sealed record Item(string Name, bool Negated, string Value, string Written);

    private static readonly Gen<Item> Items = Gen.OneOf(
        Gen.Select(Gen.OneOf(RuleFileParser.Conditions.Order(StringComparer.Ordinal).ToArray()), Gen.Bool, Text(" \t", 0, 1), Text(" \t", 0, 2), Text(" \t", 0, 2), Value,
            (name, negated, bang, before, after, value) => new Item(name, negated, value, (negated ? "!" + bang : "") + name + before + "=" + after + value)),
        Gen.Select(Gen.OneOf(RuleFileParser.Modifiers.Where(m => m != "set").Order(StringComparer.Ordinal).ToArray()), Text(" \t", 0, 2), Text(" \t", 0, 2), Value,
            (name, before, after, value) => new Item(name, false, value, name + before + "=" + after + value)),
        Gen.Select(Gen.OneOf("acl_m", "acl_c"), Text("_abcxyz0123456789", 1, 6), Text(" ", 0, 1), Value,
            (kind, variable, blank, value) =>
            {
                var target = $"{kind}{variable}{blank}= {value}";
                return new Item("set", false, target, "set " + target);
            }));

    private sealed record Statement(AclVerb Verb, Item[] Items, bool FirstOnVerbLine);

    private static readonly Gen<Statement> Statements = Gen.Select(Gen.Enum<AclVerb>(), Items.Array[0, 4], Gen.Bool,
        (verb, items, first) => new Statement(verb, items, first && items.Length > 0));

    private static readonly Gen<string> Filler = Gen.Frequency(
        (2, Text(" \t", 0, 3)),
        (2, Gen.Select(Text(" \t", 0, 3), Text(" abcxyz!=:#\\${}", 0, 20), (indent, text) => indent + "#" + text)));

    /// <summary>A rule file and the statements it must parse to, by stage, with the lines they start on.</summary>
    private sealed record RuleFile(string Text, Dictionary<PolicyStage, List<(AclVerb Verb, int Line, List<(string Name, bool Negated, string Value, int Line)> Items)>> Expected);

    // Some of the stages, in any order; "prdr" and "data_prdr" name the same one, so not both.
    private static readonly Gen<int[]> Picked = Gen.Select(Gen.Int.Array[Stages.Length], Gen.Int[0, 4], (keys, count) =>
        Enumerable.Range(0, Stages.Length).Zip(keys).OrderBy(x => x.Second).Select(x => x.First).Take(count)
            .DistinctBy(i => Stages[i].Stage).ToArray());

    private static readonly Gen<RuleFile> Files = Gen.Select(
        Gen.Select(Picked, Gen.Bool.Array[4], Gen.Bool.Array[12].Array[4], Statements.Array[0, 4].Array[4]),
        Gen.Select(Filler.Array[0, 2].Array[40], Gen.Int[0, 1000].Array[40], Gen.Int[0, 4].Array[40], Gen.Bool),
        (a, b) => Build(a.Item1, a.Item2, a.Item3, a.Item4, b.Item1, b.Item2, b.Item3, b.Item4));

    private static RuleFile Build(int[] picked, bool[] prefixed, bool[][] upper, Statement[][] bodies, string[][] fillers, int[] cuts, int[] indents, bool crlf)
    {
        var lines = new List<string>();
        var expected = new Dictionary<PolicyStage, List<(AclVerb, int, List<(string, bool, string, int)>)>>();
        var f = 0;

        void Fill()
        {
            foreach (var line in fillers[f++ % fillers.Length])
                lines.Add(line);
        }

        // Writes one logical line, cut once with a backslash when the cut falls before a non-blank.
        int Write(string line)
        {
            var number = lines.Count + 1;
            var cut = cuts[f++ % cuts.Length] % (line.Length + 1);
            if (cut > 0 && cut < line.Length && !char.IsWhiteSpace(line[cut]) && f % 3 == 0)
            {
                lines.Add(line[..cut] + "\\");
                // Exim: "Comment lines beginning with # (but not empty lines) may appear in the
                // middle of a sequence of continuation lines."
                if (cut % 2 == 0)
                    lines.Add("  # within a continuation \\");
                lines.Add(new string(' ', indents[f % indents.Length]) + line[cut..]);
            }
            else
                lines.Add(line);
            return number;
        }

        for (var s = 0; s < picked.Length; s++)
        {
            Fill();
            var stage = Stages[picked[s]].Stage;
            var name = new string(Stages[picked[s]].Name.Select((c, i) => upper[s][i % 12] ? char.ToUpperInvariant(c) : c).ToArray());
            lines.Add((prefixed[s] ? "acl_check_" : "") + name + ":");
            var statements = new List<(AclVerb, int, List<(string, bool, string, int)>)>();
            expected[stage] = statements;
            foreach (var statement in bodies[s])
            {
                Fill();
                var indent = new string(' ', indents[f % indents.Length]);
                var verb = statement.Verb.ToString().ToLowerInvariant();
                var items = new List<(string, bool, string, int)>();
                var verbLine = Write(indent + verb + (statement.FirstOnVerbLine ? "  " + statement.Items[0].Written : ""));
                if (statement.FirstOnVerbLine)
                    items.Add((statement.Items[0].Name, statement.Items[0].Negated, statement.Items[0].Value, verbLine));
                foreach (var item in statement.Items.Skip(statement.FirstOnVerbLine ? 1 : 0))
                {
                    Fill();
                    items.Add((item.Name, item.Negated, item.Value, Write(indent + "        " + item.Written)));
                }

                statements.Add((statement.Verb, verbLine, items));
            }
        }

        Fill();
        return new RuleFile(string.Join(crlf ? "\r\n" : "\n", lines), expected);
    }

    [Fact]
    public void a_generated_rule_file_parses_to_the_statements_written()
    {
        Files.Sample(file =>
        {
            var rules = RuleFileParser.Parse(file.Text, "generated.rules");
            foreach (var (name, stage) in Stages)
            {
                var statements = rules.For(stage);
                if (!file.Expected.TryGetValue(stage, out var expected))
                {
                    Assert.Null(statements);
                    continue;
                }

                Assert.NotNull(statements);
                Assert.Equal(expected.Select(s => (s.Verb, s.Line)), statements.Select(s => (s.Verb, s.Line)));
                Assert.Equal(expected.SelectMany(s => s.Items), statements.SelectMany(s => s.Items.Select(i => (i.Name, i.Negated, i.Value, i.Line))));
            }
        }, print: f => f.Text);
    }

    // Found by the first property: a comment ending in a backslash swallowed the statement
    // below it. Exim: "Any non-comment line can be continued"; comment lines within a
    // continuation are skipped.
    [Fact]
    public void a_comment_is_never_continued_and_is_skipped_within_a_continuation()
    {
        var rules = RuleFileParser.Parse("rcpt:\n# see C:\\\ndeny hosts = 192.0.2.1 : \\\n  # second address\n  192.0.2.2\n", "c.rules");
        var statement = Assert.Single(rules.For(PolicyStage.Rcpt)!);
        Assert.Equal((AclVerb.Deny, 3), (statement.Verb, statement.Line));
        Assert.Equal("192.0.2.1 : 192.0.2.2", Assert.Single(statement.Items).Value);
    }

    // Lines of every kind the syntax has, and pieces of them, in any order.
    private static readonly Gen<string> Fragment = Gen.OneOf(
        Gen.OneOf("rcpt:", "acl_check_data:", "DATA:", "mail :", "nope:", "accept", "deny", "Deny", "warn", "require", "defer", "discard",
            "  hosts = 192.0.2.0/24", "!domains = +local", "! senders = a@b", "set acl_m_x = 1", "set x", "set acl_cfoo=", "message = hi",
            "add_header = X: ${if eq{$a}{b}{c}}", "condition = ${lookup redis{GET k}}", "logwrite = ${", "x = ${if eq{a}{b}", "${if def:", "${if",
            "unknown = 1", "!message = x", "= value", "=", "!", "#", "# comment", "\\", ":", "{", "}", "$", "${}", "${a b}", "\t", " ", ""),
        Text("abcdefghijklmnopqrstuvwxyz!=:#\\${}_ \t\r", 1, 12));

    [Fact]
    public void any_text_parses_or_is_refused_with_a_format_exception_naming_its_line()
    {
        Gen.Select(Fragment.Array[1, 4].Select(string.Concat).Array[0, 15], Gen.OneOf("\n", "\r\n", "\r")).Sample((lines, ending) =>
        {
            var text = string.Join(ending, lines);
            try
            {
                RuleFileParser.Parse(text, "any.rules");
            }
            catch (FormatException e)
            {
                Assert.Matches(@"^any\.rules:\d+: ", e.Message);
            }
        });
    }

    // A generated file with some of its characters deleted or doubled: the same contract.
    [Fact]
    public void a_damaged_rule_file_parses_or_is_refused_with_a_format_exception()
    {
        Gen.Select(Files, Gen.Int[0, 10_000].Array[1, 6], Gen.Bool).Sample((file, places, delete) =>
        {
            var text = new StringBuilder(file.Text);
            foreach (var place in places.Where(_ => text.Length > 0))
            {
                var at = place % text.Length;
                if (delete)
                    text.Remove(at, 1);
                else
                    text.Insert(at, text[at]);
            }

            try
            {
                RuleFileParser.Parse(text.ToString(), "damaged.rules");
            }
            catch (FormatException e)
            {
                Assert.StartsWith("damaged.rules:", e.Message, StringComparison.Ordinal);
            }
        });
    }
}
