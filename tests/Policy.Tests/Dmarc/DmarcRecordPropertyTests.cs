using System.Globalization;
using CsCheck;
using Pipeline.Policy.Dmarc;

namespace Pipeline.Policy.Tests.Dmarc;

/// <summary>
/// DMARC records written here from RFC 7489 §6.3 and the ABNF of §6.4 (<c>v=DMARC1</c> first,
/// the other tags in any order, blanks around <c>;</c> <c>=</c> and <c>,</c>, keywords in any
/// case) parse to the values written, defaults filled in.
/// </summary>
public class DmarcRecordPropertyTests
{
    private static Gen<string> AnyCase(string word) =>
        Gen.Bool.Array[word.Length].Select(upper => new string(word.Select((c, i) => upper[i] ? char.ToUpperInvariant(c) : c).ToArray()));

    private static Gen<string> OneOfAnyCase(params string[] words) => Gen.OneOf(words).SelectMany(AnyCase);

    // *WSP: spaces and tabs.
    private static readonly Gen<string> Wsp = Gen.Char[" \t"].Array[0, 2].Select(c => new string(c));

    // A DMARC URI (§6.2): mailto, with an optional "!" size and unit.
    private static readonly Gen<string> Uri = Gen.Select(Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789"].Array[1, 10], Gen.OneOf("example.com", "reports.example.net"),
        Gen.OneOf("", "!10m", "!50k", "!1g", "!100"), (local, domain, size) => $"mailto:{new string(local)}@{domain}{size}");

    private static readonly Gen<string[]?> Uris = Uri.Array[1, 3].Null(0.5);

    private sealed record Tags(string? P, string? Sp, string? Adkim, string? Aspf, int? Pct, string? Fo, string[]? Rua, string[]? Ruf, uint? Ri, string? Other);

    private static readonly Gen<Tags> Values = Gen.Select(
            OneOfAnyCase("none", "quarantine", "reject"), OneOfAnyCase("none", "quarantine", "reject").Null(0.5),
            OneOfAnyCase("r", "s").Null(0.5), OneOfAnyCase("r", "s").Null(0.5), Gen.Int[0, 100].Nullable(0.5),
            OneOfAnyCase("0", "1", "d", "s").Array[1, 4].Select(o => string.Join(':', o)).Null(0.5),
            Gen.Select(Uris, Uris, Gen.UInt.Nullable(0.5), Gen.OneOf("rf=afrf", "x-future=anything", "np=reject", "t=y").Null(0.6)))
        .Select((p, sp, adkim, aspf, pct, fo, rest) => new Tags(p, sp, adkim, aspf, pct, fo, rest.Item1, rest.Item2, rest.Item3, rest.Item4));

    private static string Tag(string name, string value, string before, string after) => name + before + "=" + after + value;

    [Fact]
    public void a_generated_record_parses_to_the_values_written()
    {
        Gen.Select(Values, Wsp.Array[24], Gen.Int.Array[10], Gen.Bool).Sample((t, blanks, order, trailing) =>
        {
            var b = 0;
            string W() => blanks[b++ % blanks.Length];
            var tags = new List<string>();
            tags.Add(Tag("p", t.P!, W(), W()));
            if (t.Sp is not null)
                tags.Add(Tag("sp", t.Sp, W(), W()));
            if (t.Adkim is not null)
                tags.Add(Tag("adkim", t.Adkim, W(), W()));
            if (t.Aspf is not null)
                tags.Add(Tag("aspf", t.Aspf, W(), W()));
            if (t.Pct is { } pct)
                tags.Add(Tag("pct", pct.ToString(CultureInfo.InvariantCulture), W(), W()));
            if (t.Fo is not null)
                tags.Add(Tag("fo", t.Fo, W(), W()));
            if (t.Rua is not null)
                tags.Add(Tag("rua", string.Join(",", t.Rua.Select(u => W() + u + W())), W(), ""));
            if (t.Ruf is not null)
                tags.Add(Tag("ruf", string.Join(",", t.Ruf.Select(u => W() + u + W())), W(), ""));
            if (t.Ri is { } ri)
                tags.Add(Tag("ri", ri.ToString(CultureInfo.InvariantCulture), W(), W()));
            if (t.Other is not null)
                tags.Add(t.Other);
            var shuffled = tags.Zip(order).OrderBy(x => x.Second).Select(x => x.First);
            var record = "v" + W() + "=" + W() + "DMARC1" + string.Concat(shuffled.Select(x => W() + ";" + W() + x)) + (trailing ? W() + ";" + W() : "");

            var parsed = DmarcRecord.Parse(record, out var problem);
            Assert.True(parsed is not null, $"{record}: {problem}");
            Assert.Equal(t.P!.ToLowerInvariant(), parsed.Policy);
            Assert.Equal((t.Sp ?? t.P!).ToLowerInvariant(), parsed.SubdomainPolicy);
            Assert.Equal(t.Adkim?.ToLowerInvariant() == "s", parsed.StrictDkim);
            Assert.Equal(t.Aspf?.ToLowerInvariant() == "s", parsed.StrictSpf);
            Assert.Equal(t.Pct ?? 100, parsed.Percent);
            Assert.Equal(t.Fo?.ToLowerInvariant() ?? "0", parsed.FailureOptions);
            Assert.Equal(t.Rua ?? [], parsed.AggregateReports);
            Assert.Equal(t.Ruf ?? [], parsed.FailureReports);
            Assert.Equal((long)(t.Ri ?? 86400), parsed.ReportInterval);
        });
    }

    // §6.6.3 step 6: without a valid p= (or with an invalid sp=), a record with a valid rua=
    // counts as p=none; without one it is no record.
    [Fact]
    public void a_record_without_a_valid_policy_counts_as_none_only_with_a_rua()
    {
        Gen.Select(Gen.OneOf("", "p=", "p=block", "p=none; sp=maybe"), Uris).Sample((policy, rua) =>
        {
            var record = "v=DMARC1; " + policy + (rua is null ? "" : "; rua=" + string.Join(',', rua));
            var parsed = DmarcRecord.Parse(record, out _);
            if (rua is null)
                Assert.Null(parsed);
            else
            {
                Assert.NotNull(parsed);
                Assert.Equal(("none", "none"), (parsed.Policy, parsed.SubdomainPolicy));
            }
        });
    }

    // Found by the property: ri is "a plain-text 32-bit unsigned integer" (§6.3), so a value
    // above 2^31 - 1 is valid and must not make the whole record invalid.
    [Fact]
    public void a_report_interval_above_int_max_is_valid()
    {
        var parsed = DmarcRecord.Parse("v=DMARC1; p=reject; ri=4294967295", out var problem);
        Assert.True(parsed is not null, problem);
        Assert.Equal(4294967295L, parsed.ReportInterval);
        Assert.Null(DmarcRecord.Parse("v=DMARC1; p=reject; ri=4294967296", out _));
    }
}
