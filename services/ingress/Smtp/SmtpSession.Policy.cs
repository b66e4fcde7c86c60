using Pipeline.Contracts.Events;
using Pipeline.Contracts.Policy;
using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Smtp;

// Asking policy: the check for each stage, the variables carried from one check to the next,
// and the headers verdicts add.
public sealed partial class SmtpSession
{
    private static readonly IReadOnlyDictionary<string, string> NoVariables = new Dictionary<string, string>();

    // What policy asked to keep for this connection: acl_c_*, acl_m_* and results such as SPF's.
    private IReadOnlyDictionary<string, string> _variables = NoVariables;

    // A new message: its acl_m_* variables start empty (Exim's rule).
    private void ForgetMessageVariables()
    {
        if (_variables.Keys.Any(k => k.StartsWith("acl_m", StringComparison.Ordinal)))
            _variables = _variables.Where(v => !v.Key.StartsWith("acl_m", StringComparison.Ordinal)).ToDictionary();
    }

    // Asks policy and records the verdict. Returns the reply to send instead of the default
    // accept reply, or null to send the default.
    private async Task<(PolicyAction Action, SmtpReply? Reply)> CheckAsync(PolicyStage stage, string? sender, string? recipient,
        IReadOnlyList<string>? recipients, long? size, CancellationToken ct)
    {
        var (verdict, reply) = await CheckAsync(stage, sender, recipient, recipients, size, null, ct).ConfigureAwait(false);
        return (verdict.Action, reply);
    }

    private async Task<(PolicyVerdict Verdict, SmtpReply? Reply)> CheckAsync(PolicyStage stage, string? sender, string? recipient,
        IReadOnlyList<string>? recipients, long? size, string? contentFilter, CancellationToken ct, byte[]? content = null,
        SmtpTransaction? transaction = null)
    {
        // A stage the policy decides nothing at is accepted without asking (most of them, with
        // rules for RCPT and DATA only: over the bus, each ask is a request and its reply).
        if (!_policy.Asks(stage))
            return (PolicyVerdict.Accepted, null);

        // The headers a verdict adds or removes belong to the transaction in progress, or to the one ending.
        transaction ??= _transaction;
        var (verdict, timedOut) = await _policy.CheckAsync(deadline => new CheckPolicy(
            _journal.ConnectionId, stage, ClientAddress, _client.Port, _helo, sender, recipient, recipients, size, deadline, _proxy, contentFilter,
            _authenticatedId, _variables, content), ct).ConfigureAwait(false);
        if (verdict.Variables is { } variables)
            _variables = variables;
        if (verdict.AddHeaders is { Count: > 0 } headers && verdict.Action == PolicyAction.Accept && transaction is not null)
            transaction.AddedHeaders.AddRange(headers);
        if (verdict.RemoveHeaders is { Count: > 0 } removed && verdict.Action == PolicyAction.Accept && transaction is not null)
            transaction.RemovedHeaders.AddRange(removed);
        var reply = verdict.Action switch
        {
            PolicyAction.Accept or PolicyAction.Discard => verdict.Message is null ? null : SmtpReply.Compose(250, "2.0.0", verdict.Message),
            PolicyAction.Deny => verdict.Message is null ? SmtpReplies.DeniedByPolicy : SmtpReply.Compose(550, "5.7.1", verdict.Message),
            _ => verdict.Message is null ? SmtpReplies.DeferredByPolicy : SmtpReply.Compose(451, "4.7.1", verdict.Message),
        };
        // Accepts are implied by the conversation going on; refusals and timeouts are recorded.
        if (verdict.Action is PolicyAction.Deny or PolicyAction.Defer)
            IngressMetrics.Refused.Add(1, new("stage", stage.ToString().ToLowerInvariant()), new("class", verdict.Action == PolicyAction.Deny ? "5xx" : "4xx"));
        if (verdict.Action is not PolicyAction.Accept || timedOut)
            _journal.Add(new PolicyVerdictGiven(_journal.ConnectionId, stage, verdict.Action, reply?.ToString() ?? "250", sender, recipient, timedOut));
        return (verdict, reply);
    }
}
