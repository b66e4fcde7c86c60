using System.Net;
using System.Text;
using Pipeline.Policy.Spf;

namespace Pipeline.Fuzz.Targets;

/// <summary>
/// The SPF record and macro parsers (RFC 7208 §4.6, §7): a parsed record written back in its
/// canonical form parses to the same terms; checking a macro-string and expanding it agree;
/// an expanded domain is truncated to 253 characters.
/// </summary>
internal static class SpfTarget
{
    private static readonly MacroContext Context = new("strong-bad@email.example.com", "email.example.com",
        IPAddress.Parse("192.0.2.3"), "mx.example.org", "receiver.example");

    public static void Run(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        var record = SpfRecord.IsSpf(text) ? SpfRecord.Parse(text, out var problem) : null;
        if (record is not null)
        {
            var written = Write(record);
            var again = SpfRecord.Parse(written, out var againProblem);
            Property.Require(again is not null, $"the canonical form '{written}' of a parsed record is refused: {againProblem}");
            Property.Require(again!.Mechanisms.SequenceEqual(record.Mechanisms) && again.Redirect == record.Redirect
                && again.Explanation == record.Explanation, $"'{written}' parses to other terms");
        }

        foreach (var explanation in (bool[])[false, true])
        {
            var valid = MacroExpander.IsMacroString(text, explanation);
            var expanded = MacroExpander.ExpandAsync(text, Context, explanation, () => Task.FromResult("mx.example.org"))
                .GetAwaiter().GetResult();
            Property.Require(valid == (expanded is not null), "checking and expanding a macro-string disagree");
        }

        if (MacroExpander.IsDomainSpec(text))
        {
            Property.Require(MacroExpander.IsMacroString(text, explanation: false), "a domain-spec that is no macro-string");
            var expanded = MacroExpander.ExpandAsync(text, Context, false, () => Task.FromResult("mx.example.org")).GetAwaiter().GetResult();
            Property.Require(MacroExpander.Truncate(expanded!).Length <= 253 || !MacroExpander.Truncate(expanded!).Contains('.'),
                "an expanded domain left longer than 253 characters");
        }
    }

    private static string Write(SpfRecord record)
    {
        var text = new StringBuilder("v=spf1");
        foreach (var m in record.Mechanisms)
        {
            text.Append(' ').Append(m.Qualifier switch
            {
                SpfResult.Fail => "-",
                SpfResult.SoftFail => "~",
                SpfResult.Neutral => "?",
                _ => "+",
            }).Append(m.Kind.ToString().ToLowerInvariant());
            switch (m.Kind)
            {
                case MechanismKind.Ip4:
                    text.Append(':').Append(m.Network).Append('/').Append(m.Ip4Prefix);
                    break;
                case MechanismKind.Ip6:
                    text.Append(':').Append(m.Network).Append('/').Append(m.Ip6Prefix);
                    break;
                case MechanismKind.A or MechanismKind.Mx:
                    if (m.DomainSpec is not null)
                        text.Append(':').Append(m.DomainSpec);
                    text.Append('/').Append(m.Ip4Prefix).Append("//").Append(m.Ip6Prefix);
                    break;
                default:
                    if (m.DomainSpec is not null)
                        text.Append(':').Append(m.DomainSpec);
                    break;
            }
        }

        if (record.Redirect is not null)
            text.Append(" redirect=").Append(record.Redirect);
        if (record.Explanation is not null)
            text.Append(" exp=").Append(record.Explanation);
        return text.ToString();
    }
}
