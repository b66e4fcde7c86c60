using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Policy;
using Pipeline.Policy.Lookups;
using Pipeline.Policy.Spf;
using Pipeline.Policy.Verdicts;

namespace Pipeline.Policy.Rules;

/// <summary>
/// The verdict source of <c>Policy:Rules</c>: an entry of <c>Policy:Verdicts</c> that applies
/// decides first (fixed verdicts for tests and emergencies); otherwise the stage's ACL; a
/// stage without one accepts.
/// </summary>
public sealed class RuleVerdicts(PolicyOptions options, RuleSet rules, StaticVerdicts fixedVerdicts, AclEvaluator evaluator, SpfChecker spf,
    RedisLookup redis, ILogger<RuleVerdicts> log) : IVerdictSource
{
    /// <inheritdoc />
    public async Task<PolicyVerdict> DecideAsync(CheckPolicy check, CancellationToken cancellationToken)
    {
        if (options.Verdicts.Any(v => v.Applies(check)))
            return await fixedVerdicts.DecideAsync(check, cancellationToken).ConfigureAwait(false);
        if (rules.For(check.Stage) is not { } acl)
            return PolicyVerdict.Accepted;

        var context = new PolicyContext(check, spf, options.PrimaryHostname, cancellationToken, redis);
        var verdict = await evaluator.EvaluateAsync(acl, context).ConfigureAwait(false);
        if (verdict.Action != PolicyAction.Accept)
            log.LogInformation("{Stage} ACL {Action} on {ConnectionId} for [{Client}] {Sender} {Recipient}: {Message}", check.Stage, verdict.Action,
                check.ConnectionId, check.ClientAddress, check.Sender, check.Recipient, verdict.LogMessage ?? verdict.Message);
        return verdict;
    }
}
