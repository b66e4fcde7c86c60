using System.Text.Json;
using Pipeline.Policy.Dmarc;
using Pipeline.Policy.Spf;

namespace Pipeline.Policy.Tests.Conformance;

/// <summary>The DMARC policy cases of tests/testdata/dmarc (RFC 7489, cross-checked against Mail::DMARC), each over its own DNS.</summary>
public class DmarcPolicyCasesTests
{
    private static readonly JsonElement Cases = TestData.Cases("dmarc", "dmarc-policy-cases.json");

    public static TheoryData<string> Names() => TestData.Names(Cases);

    [Theory]
    [MemberData(nameof(Names))]
    public async Task evaluates_as_the_rfc_says(string name)
    {
        var c = TestData.Case(Cases, name);
        // pct sampling: a message is sampled when the draw is below pct; the cases use 0 and 100 only.
        var evaluator = new DmarcEvaluator(new SuiteZone(c.GetProperty("dns")), TestData.Suffixes, () => 50);
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
