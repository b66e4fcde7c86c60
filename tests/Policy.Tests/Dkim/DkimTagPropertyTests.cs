using CsCheck;
using Pipeline.Policy.Dkim;

namespace Pipeline.Policy.Tests.Dkim;

/// <summary>
/// Tag-lists written here from RFC 6376 §3.2 read back to the same tags:
/// <code>
/// tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
/// tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
/// tag-name  =  ALPHA *ALNUMPUNC
/// tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
/// tval      =  1*VALCHAR          ; %x21-3A / %x3C-7E
/// </code>
/// "WSP inside the value is significant": a value reads back as written, with only its folds'
/// CRLFs taken out (unfolding, RFC 5322 §2.2.3). A name given twice makes the list invalid.
/// </summary>
public class DkimTagPropertyTests
{
    private static Gen<string> Text(string chars, int min, int max) => Gen.Char[chars].Array[min, max].Select(c => new string(c));

    private const string Alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    private static readonly Gen<string> Name = Gen.Select(Gen.Char[Alpha], Text(Alpha + "0123456789_", 0, 6), (a, b) => a + b);

    private static readonly Gen<string> Tval = Gen.Char['!', '~'].Where(c => c != ';').Array[1, 12].Select(c => new string(c));

    // WSP, or FWS: [*WSP CRLF] 1*WSP.
    private static readonly Gen<string> Wsp = Text(" \t", 1, 2);

    private static readonly Gen<string> Fws = Gen.Select(Text(" \t", 0, 2), Gen.Bool, Wsp, (before, fold, after) => before + (fold ? "\r\n" : "") + after);

    private static readonly Gen<string> OptionalFws = Gen.Frequency((1, Gen.Const("")), (2, Fws));

    // A value as written (tvals joined by blanks and folds) and as it reads back.
    private static readonly Gen<(string Written, string Value)> TagValue =
        Gen.Select(Tval, Gen.Select(Gen.OneOf(Wsp, Fws), Tval, (gap, tval) => gap + tval).Array[0, 3])
            .Select((first, rest) => first + string.Concat(rest))
            .Null(0.1)
            .Select(v => (v ?? "", (v ?? "").Replace("\r\n", "", StringComparison.Ordinal)));

    private static readonly Gen<(string Name, string Written, string Value)[]> TagList =
        Gen.Select(Name, TagValue, (name, value) => (Name: name, value.Written, value.Value)).Array[0, 8]
            .Select(tags => tags.DistinctBy(t => t.Name, StringComparer.Ordinal).ToArray());

    private static Gen<string> Format((string Name, string Written, string Value)[] tags) =>
        Gen.Select(OptionalFws.Array[4 * tags.Length + 1], Gen.Bool).Select((blanks, trailing) =>
        {
            var specs = tags.Select((t, i) => blanks[4 * i] + t.Name + blanks[4 * i + 1] + "=" + blanks[4 * i + 2] + t.Written + blanks[4 * i + 3]);
            return string.Join(";", specs) + (trailing && tags.Length > 0 ? ";" + blanks[^1] : "");
        });

    [Fact]
    public void a_tag_list_reads_back_to_the_same_tags()
    {
        TagList.SelectMany(tags => Format(tags).Select(text => (tags, text))).Sample(x =>
        {
            var parsed = DkimTags.Parse(x.text);
            Assert.True(parsed is not null, x.text.ReplaceLineEndings("\\r\\n"));
            Assert.Equal(x.tags.Select(t => (t.Name, t.Value)).OrderBy(t => t.Name, StringComparer.Ordinal),
                parsed.Select(p => (p.Key, p.Value)).OrderBy(t => t.Key, StringComparer.Ordinal));
        });
    }

    // "Tags with duplicate names MUST NOT occur within a single tag-list; if a tag name does
    // occur more than once, the entire tag-list is invalid." Names are case-sensitive, so "a"
    // and "A" are two names.
    [Fact]
    public void a_tag_list_naming_a_tag_twice_is_invalid()
    {
        TagList.Where(tags => tags.Length > 0)
            .SelectMany(tags => Gen.Select(Gen.Int[0, tags.Length - 1], Gen.Int[0, tags.Length], TagValue,
                (which, where, value) =>
                {
                    var twice = tags.ToList();
                    twice.Insert(where, (tags[which].Name, value.Written, value.Value));
                    return twice.ToArray();
                }))
            .SelectMany(tags => Format(tags))
            .Sample(text => Assert.Null(DkimTags.Parse(text)));
    }

    // Found by the first property: a tab inside a value was dropped ("a\tb" read as "ab"), and
    // so was the blank of a fold, although WSP inside a value is significant.
    [Theory]
    [InlineData("n=a\tb", "a\tb")]
    [InlineData("h=from:to:\r\n\tsubject", "from:to:\tsubject")]
    [InlineData("h=fr\tom:to", "fr\tom:to")]
    public void blanks_inside_a_value_are_kept(string text, string value) => Assert.Equal(value, DkimTags.Parse(text)?[text[..1]]);
}
