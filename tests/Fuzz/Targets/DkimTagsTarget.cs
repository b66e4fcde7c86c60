using System.Text;
using Pipeline.Policy.Dkim;

namespace Pipeline.Fuzz.Targets;

/// <summary>The DKIM tag-list parser (RFC 6376 §3.2): parsed tags written back as <c>name=value;</c> parse to the same tags.</summary>
internal static class DkimTagsTarget
{
    public static void Run(byte[] input)
    {
        var tags = DkimTags.Parse(Encoding.UTF8.GetString(input));
        if (tags is null)
            return;
        var written = string.Join("; ", tags.Select(t => $"{t.Key}={t.Value}"));
        var again = DkimTags.Parse(written);
        Property.Require(again is not null, $"the tags written back, '{written}', are refused");
        Property.Require(again!.Count == tags.Count && tags.All(t => again.TryGetValue(t.Key, out var v) && v == t.Value),
            $"'{written}' parses to other tags");
    }
}
