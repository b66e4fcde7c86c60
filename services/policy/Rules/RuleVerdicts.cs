using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Events;
using Pipeline.Contracts.Policy;
using Pipeline.Policy.Dmarc;
using Pipeline.Policy.Verdicts;

namespace Pipeline.Policy.Rules;

/// <summary>
/// The verdict source of <c>Policy:Rules</c>: an entry of <c>Policy:Verdicts</c> that applies
/// decides first (fixed verdicts for tests and emergencies); otherwise the stage's ACL; a
/// stage without one accepts. A message accepted at the end of data gets an
/// Authentication-Results header (RFC 8601) with SPF, DKIM and DMARC, and loses any that
/// claims to come from this host (<c>Policy:AuthenticationResults</c>).
/// </summary>
public sealed class RuleVerdicts(PolicyOptions options, RuleSet rules, StaticVerdicts fixedVerdicts, AclEvaluator evaluator, PolicyServices services,
    ILogger<RuleVerdicts> log) : IVerdictSource
{
    // What ingress must ask about: the stages with an ACL or a fixed verdict, and the end of
    // data, where every message is judged whatever the rules (Authentication-Results, and the
    // rule that nothing is accepted that policy did not see).
    private readonly IReadOnlyList<PolicyStage> _stages = Enum.GetValues<PolicyStage>()
        .Where(s => s == PolicyStage.Data || rules.For(s) is not null || options.Verdicts.Any(v => v.Stage == s))
        .ToArray();

    /// <inheritdoc />
    public async Task<PolicyVerdict> DecideAsync(CheckPolicy check, CancellationToken cancellationToken) =>
        await DecideAtAsync(check, cancellationToken).ConfigureAwait(false) with { Stages = _stages };

    // The evaluation ingress keeps for DMARC's reports; read after the ACL ran, so that its
    // control = dmarc_enable_forensic counts wherever in the ACL it stands.
    private DmarcEvaluation? DmarcOf(MessageAuthentication authentication, PolicyContext context) =>
        DmarcEvaluationRecord.Of(authentication, context.Check.Sender, services.Dmarc,
            context.Variables.ContainsKey("control_dmarc_enable_forensic"));

    private async Task<PolicyVerdict> DecideAtAsync(CheckPolicy check, CancellationToken cancellationToken)
    {
        if (fixedVerdicts.Find(check) is { } fixedVerdict)
            return fixedVerdict;
        var authenticate = options.AuthenticationResults && check.Stage == PolicyStage.Data && check.Content is not null;
        var acl = rules.For(check.Stage);
        if (acl is null && !authenticate)
            return PolicyVerdict.Accepted;

        var context = new PolicyContext(check, services, cancellationToken);
        var verdict = acl is null ? PolicyVerdict.Accepted : await evaluator.EvaluateAsync(acl, context).ConfigureAwait(false);
        if (verdict.Action != PolicyAction.Accept)
        {
            log.LogInformation("{Stage} ACL {Action} on {ConnectionId} for [{Client}] {Sender} {Recipient}: {Message}", check.Stage, verdict.Action,
                check.ConnectionId, check.ClientAddress, check.Sender, check.Recipient, verdict.LogMessage ?? verdict.Message);
            return verdict;
        }

        if (!authenticate || await context.AuthenticationAsync().ConfigureAwait(false) is not { } authentication)
            return context.Evaluated is { } evaluated && check.Stage == PolicyStage.Data ? verdict with { Dmarc = DmarcOf(evaluated, context) } : verdict;
        return verdict with
        {
            Dmarc = DmarcOf(authentication, context),
            AddHeaders = [authentication.Header(options.AuthservId ?? options.PrimaryHostname), .. verdict.AddHeaders ?? []],
            RemoveHeaders = [$"Authentication-Results: {options.AuthservId ?? options.PrimaryHostname}"],
            Variables = context.Changed ? context.Variables : verdict.Variables,
        };
    }
}
