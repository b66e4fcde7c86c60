using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts.Policy;
using Pipeline.Ingress.Verdicts;

namespace Pipeline.Ingress.Tests.Verdicts;

/// <summary>
/// Which stages ingress asks policy about: all of them until a verdict names the stages policy
/// decides at, then only those and the end of data, which is always asked.
/// </summary>
public class PolicyClientTests
{
    private sealed class Policy(Func<CheckPolicy, PolicyVerdict> decide) : IPolicyService
    {
        public List<PolicyStage> Asked { get; } = [];

        public Task<PolicyVerdict> CheckAsync(CheckPolicy check, CancellationToken cancellationToken)
        {
            Asked.Add(check.Stage);
            return Task.FromResult(decide(check));
        }
    }

    private static PolicyClient Client(Policy policy) =>
        new(new ServiceCollection().AddSingleton<IPolicyService>(policy).BuildServiceProvider(), new IngressOptions(), NullLogger<PolicyClient>.Instance);

    private static Task<(PolicyVerdict Verdict, bool TimedOut)> Ask(PolicyClient client, PolicyStage stage) =>
        client.CheckAsync(deadline => new CheckPolicy("c", stage, "127.0.0.1", 1, null, null, null, null, null, deadline), CancellationToken.None);

    [Fact]
    public void every_stage_is_asked_before_the_first_verdict()
    {
        var client = Client(new Policy(_ => PolicyVerdict.Accepted));
        Assert.All(Enum.GetValues<PolicyStage>(), stage => Assert.True(client.Asks(stage), stage.ToString()));
    }

    [Fact]
    public async Task after_a_verdict_naming_its_stages_only_those_and_data_are_asked()
    {
        var client = Client(new Policy(_ => PolicyVerdict.Accepted with { Stages = [PolicyStage.Rcpt] }));
        await Ask(client, PolicyStage.Connect);
        Assert.False(client.Asks(PolicyStage.Connect));
        Assert.False(client.Asks(PolicyStage.Helo));
        Assert.False(client.Asks(PolicyStage.Mail));
        Assert.True(client.Asks(PolicyStage.Rcpt));
        Assert.False(client.Asks(PolicyStage.Predata));
        Assert.True(client.Asks(PolicyStage.Data));
        Assert.False(client.Asks(PolicyStage.Prdr));
    }

    [Fact]
    public async Task a_verdict_without_stages_makes_every_stage_asked_again()
    {
        var stages = new Queue<IReadOnlyList<PolicyStage>?>([[PolicyStage.Mail], null]);
        var client = Client(new Policy(_ => PolicyVerdict.Accepted with { Stages = stages.Dequeue() }));
        await Ask(client, PolicyStage.Connect);
        Assert.False(client.Asks(PolicyStage.Helo));
        // A policy of an older version, or one whose rules were replaced, says nothing.
        await Ask(client, PolicyStage.Data);
        Assert.All(Enum.GetValues<PolicyStage>(), stage => Assert.True(client.Asks(stage), stage.ToString()));
    }

    [Fact]
    public async Task a_refusal_teaches_the_stages_too()
    {
        var client = Client(new Policy(_ => new PolicyVerdict(PolicyAction.Deny, "no") { Stages = [PolicyStage.Helo] }));
        var (verdict, timedOut) = await Ask(client, PolicyStage.Connect);
        Assert.Equal(PolicyAction.Deny, verdict.Action);
        Assert.False(timedOut);
        Assert.True(client.Asks(PolicyStage.Helo));
        Assert.False(client.Asks(PolicyStage.Rcpt));
    }
}
