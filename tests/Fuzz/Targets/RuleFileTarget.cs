using System.Text;
using Pipeline.Policy.Rules;

namespace Pipeline.Fuzz.Targets;

/// <summary>The rule file parser (Exim's ACL syntax): any text is either a rule set or a <see cref="FormatException"/> naming a line.</summary>
internal static class RuleFileTarget
{
    public static void Run(byte[] input)
    {
        try
        {
            RuleFileParser.Parse(Encoding.UTF8.GetString(input), "fuzz");
        }
        catch (FormatException e)
        {
            Property.Require(e.Message.StartsWith("fuzz:", StringComparison.Ordinal), $"an error that names no line: {e.Message}");
        }
    }
}
