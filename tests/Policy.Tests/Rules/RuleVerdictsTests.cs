using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts.Policy;
using Pipeline.Policy.Dkim;
using Pipeline.Policy.Dmarc;
using Pipeline.Policy.Rules;
using Pipeline.Policy.Spf;
using Pipeline.Policy.Tests.Conformance;
using Pipeline.Policy.Verdicts;

namespace Pipeline.Policy.Tests.Rules;

/// <summary>
/// Every verdict names the stages at which policy decides something, so that ingress can skip
/// asking at the others: those with an ACL or a fixed verdict, and the end of data always.
/// </summary>
public class RuleVerdictsTests
{
    private static readonly SuiteZone Zone = new(JsonDocument.Parse("{}").RootElement);

    private static RuleVerdicts Verdicts(string rules, params StaticVerdict[] fixedVerdicts)
    {
        var options = new PolicyOptions { Verdicts = [.. fixedVerdicts] };
        var services = new PolicyServices(new SpfChecker(Zone), new DkimChecker(Zone), new DmarcEvaluator(Zone, TestData.Suffixes), null, "mx.test");
        return new RuleVerdicts(options, RuleFileParser.Parse(rules, "test.rules"), new StaticVerdicts(options),
            new AclEvaluator(NullLogger<AclEvaluator>.Instance), services, NullLogger<RuleVerdicts>.Instance);
    }

    private static CheckPolicy Check(PolicyStage stage, string? recipient = null) =>
        new("conn", stage, "192.0.2.1", 40000, "client.example.org", "alice@example.org", recipient, null, null, DateTimeOffset.MaxValue);

    [Fact]
    public async Task without_rules_only_the_end_of_data_is_named()
    {
        var verdict = await Verdicts("").DecideAsync(Check(PolicyStage.Connect), default);
        Assert.Equal(PolicyAction.Accept, verdict.Action);
        Assert.Equal([PolicyStage.Data], verdict.Stages);
    }

    [Fact]
    public async Task the_stages_with_an_acl_or_a_fixed_verdict_are_named_on_every_verdict()
    {
        const string rules = """
            mail:
              accept
            rcpt:
              deny    local_parts = refused
              accept
            """;
        var verdicts = Verdicts(rules, new StaticVerdict { Stage = PolicyStage.Prdr, Action = PolicyAction.Defer, Recipients = ["later@example.net"] });
        PolicyStage[] expected = [PolicyStage.Mail, PolicyStage.Rcpt, PolicyStage.Data, PolicyStage.Prdr];
        Assert.Equal(expected, (await verdicts.DecideAsync(Check(PolicyStage.Helo), default)).Stages);
        var refused = await verdicts.DecideAsync(Check(PolicyStage.Rcpt, "refused@example.net"), default);
        Assert.Equal(PolicyAction.Deny, refused.Action);
        Assert.Equal(expected, refused.Stages);
        var fixedVerdict = await verdicts.DecideAsync(Check(PolicyStage.Prdr, "later@example.net"), default);
        Assert.Equal(PolicyAction.Defer, fixedVerdict.Action);
        Assert.Equal(expected, fixedVerdict.Stages);
    }
}
