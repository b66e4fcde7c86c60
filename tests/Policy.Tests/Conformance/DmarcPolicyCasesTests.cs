using System.Text.Json;
using Pipeline.Policy.Dmarc;
using Pipeline.Policy.Spf;

namespace Pipeline.Policy.Tests.Conformance;

/// <summary>The DMARC policy cases of tests/testdata/dmarc (RFC 7489, cross-checked against Mail::DMARC), each over its own DNS.</summary>
public class DmarcPolicyCasesTests
{
    private static readonly JsonElement Cases = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(AppContext.BaseDirectory, "testdata", "dmarc", "dmarc-policy-cases.json"))).RootElement.GetProperty("cases");

    private static readonly PublicSuffixList Suffixes = PublicSuffixList.Load(Path.Combine(AppContext.BaseDirectory, "Data", "public_suffix_list.dat"));

    public static TheoryData<string> Names() => [.. Cases.EnumerateArray().Select(c => c.GetProperty("name").GetString()!)];

    [Theory]
    [MemberData(nameof(Names))]
    public async Task evaluates_as_the_rfc_says(string name)
    {
        var c = Cases.EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        // pct sampling: a message is sampled when the draw is below pct; the cases use 0 and 100 only.
        var evaluator = new DmarcEvaluator(new SuiteZone(c.GetProperty("dns")), Suffixes, () => 50);
        SpfResult? spf = null;
        string? spfDomain = null;
        if (c.GetProperty("spf") is { ValueKind: JsonValueKind.Object } spfCase && SpfResultNames.TryParse(spfCase.GetProperty("result").GetString()!, out var parsed))
            (spf, spfDomain) = (parsed, spfCase.GetProperty("domain").GetString());
        var dkim = c.GetProperty("dkim").EnumerateArray()
            .Select(d => new DkimSignatureResult(d.GetProperty("result").GetString() == "pass", d.GetProperty("domain").GetString()!, d.GetProperty("selector").GetString()!))
            .ToList();

        var outcome = await evaluator.EvaluateAsync(c.GetProperty("header_from_domain").GetString()!, spf, spfDomain, dkim, CancellationToken.None);

        var expected = c.GetProperty("expected");
        Assert.Equal(expected.GetProperty("dmarc").GetString(), outcome.Result);
        Assert.Equal(expected.GetProperty("disposition").GetString(), outcome.Disposition);
        Assert.Equal(expected.GetProperty("dkim_aligned").GetBoolean(), outcome.DkimAligned);
        Assert.Equal(expected.GetProperty("spf_aligned").GetBoolean(), outcome.SpfAligned);
        if (expected.TryGetProperty("policy_domain", out var domain))
            Assert.Equal(domain.GetString(), outcome.PolicyDomain);
        if (expected.TryGetProperty("applied_policy", out var policy))
            Assert.Equal(policy.GetString(), outcome.AppliedPolicy);
    }
}
