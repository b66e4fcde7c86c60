using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Policy;
using Pipeline.Infrastructure.Lists;
using Pipeline.Policy.Lookups;
using Pipeline.Policy.Spf;

namespace Pipeline.Policy.Rules;

/// <summary>
/// Runs one ACL as Exim does: statements in order; within one, conditions and modifiers in
/// order, stopping at the first false condition. <c>accept</c>, <c>deny</c>, <c>defer</c> and
/// <c>discard</c> decide when all their conditions hold; <c>require</c> denies when one fails;
/// <c>warn</c> only acts (headers, log) and goes on. The end of an ACL is an implicit deny.
/// <c>set</c>, <c>control</c> and <c>logwrite</c> take effect when reached; <c>message</c>,
/// <c>log_message</c> and <c>add_header</c> when their statement fires.
/// </summary>
public sealed class AclEvaluator(ILogger<AclEvaluator> log)
{
    // Lists parsed once per text: most are written in the rule file and never change. Texts
    // that lookups fill in vary, so the caches are emptied when they grow past a bound.
    private const int MaxCachedLists = 1000;
    private readonly ConcurrentDictionary<string, HostList> _hostLists = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DomainList> _domainLists = new(StringComparer.Ordinal);

    private HostList Hosts(string text) => Cached(_hostLists, text, t => new HostList(EximList.Split(t)));

    private DomainList Domains(string text) => Cached(_domainLists, text, t => new DomainList(EximList.Split(t)));

    private static T Cached<T>(ConcurrentDictionary<string, T> cache, string text, Func<string, T> parse)
    {
        if (cache.TryGetValue(text, out var list))
            return list;
        if (cache.Count >= MaxCachedLists)
            cache.Clear();
        return cache.GetOrAdd(text, parse);
    }

    /// <summary>The verdict of <paramref name="statements"/> for the check in <paramref name="context"/>.</summary>
    public async Task<PolicyVerdict> EvaluateAsync(IReadOnlyList<AclStatement> statements, PolicyContext context)
    {
        try
        {
            return await RunAsync(statements, context).ConfigureAwait(false);
        }
        catch (RedisUnavailableException e)
        {
            // A lookup that cannot be made decides nothing: the client tries again later.
            log.LogWarning("{Stage} ACL on {ConnectionId} deferred: {Error}", context.Check.Stage, context.Check.ConnectionId, e.Message);
            return new PolicyVerdict(PolicyAction.Defer, "Temporary local problem - please try later", e.Message);
        }
    }

    private async Task<PolicyVerdict> RunAsync(IReadOnlyList<AclStatement> statements, PolicyContext context)
    {
        var headers = new List<string>();
        foreach (var statement in statements)
        {
            string? message = null, logMessage = null;
            var statementHeaders = new List<string>();
            var allTrue = true;
            foreach (var item in statement.Items)
            {
                if (RuleFileParser.Conditions.Contains(item.Name))
                {
                    var holds = await ConditionAsync(item, context).ConfigureAwait(false) != item.Negated;
                    if (!holds)
                    {
                        allTrue = false;
                        break;
                    }

                    continue;
                }

                var value = await Expansion.ExpandAsync(item.Value, context).ConfigureAwait(false);
                switch (item.Name)
                {
                    case "message": message = value; break;
                    case "log_message": logMessage = value; break;
                    case "add_header": statementHeaders.AddRange(value.Split('\n').Select(h => h.TrimEnd('\r')).Where(h => h.Length > 0)); break;
                    case "logwrite": log.LogInformation("logwrite on {ConnectionId}: {Text}", context.Check.ConnectionId, value); break;
                    case "control": context.Set($"control_{value.Trim()}", "1"); break;
                    default: // set
                        var equals = item.Value.IndexOf('=');
                        context.Set(item.Value[..equals].Trim(), await Expansion.ExpandAsync(item.Value[(equals + 1)..].Trim(), context).ConfigureAwait(false));
                        break;
                }
            }

            if (statement.Verb == AclVerb.Require)
            {
                if (!allTrue)
                    return Verdict(PolicyAction.Deny, message, logMessage, headers, context);
                continue;
            }

            if (!allTrue)
                continue;
            if (logMessage is not null)
                log.LogInformation("{Stage} ACL on {ConnectionId}: {LogMessage}", context.Check.Stage, context.Check.ConnectionId, logMessage);
            headers.AddRange(statementHeaders);
            switch (statement.Verb)
            {
                case AclVerb.Warn: continue;
                case AclVerb.Accept: return Verdict(PolicyAction.Accept, message, logMessage, headers, context);
                case AclVerb.Discard: return Verdict(PolicyAction.Discard, message, logMessage, headers, context);
                case AclVerb.Defer: return Verdict(PolicyAction.Defer, message, logMessage, headers, context);
                default: return Verdict(PolicyAction.Deny, message, logMessage, headers, context);
            }
        }

        return Verdict(PolicyAction.Deny, null, "implicit deny at the end of the ACL", headers, context);
    }

    private static PolicyVerdict Verdict(PolicyAction action, string? message, string? logMessage, List<string> headers, PolicyContext context) =>
        new(action, string.IsNullOrEmpty(message) ? null : message, logMessage,
            Variables: context.Changed ? context.Variables : null, AddHeaders: headers.Count > 0 ? headers : null);

    private async Task<bool> ConditionAsync(AclItem item, PolicyContext context)
    {
        var value = await Expansion.ExpandAsync(item.Value, context).ConfigureAwait(false);
        switch (item.Name)
        {
            case "hosts":
                return Hosts(value).Contains(context.Client);
            case "domains":
                return context.Domain is { } domain && Domains(value).Contains(domain);
            case "local_parts":
                return context.LocalPart is { } localPart && EximList.Matches(EximList.Split(value), i => Matches(i, localPart));
            case "senders":
                return context.Check.Sender is { } sender && EximList.Matches(EximList.Split(value), i => SenderMatches(i, sender));
            case "authenticated":
                return context.Check.AuthenticatedId is { } id && EximList.Matches(EximList.Split(value), i => Matches(i, id));
            case "spf":
            {
                var result = (await context.SpfAsync().ConfigureAwait(false)).Name();
                return EximList.Matches(EximList.Split(value), i => SpfResultNames.TryParse(i, out var r) && r.Name() == result);
            }

            case "ratelimit":
                return RateOver(RateLimiter.Parse(value, context.Check.ClientAddress), context);

            case "dmarc_status":
            {
                // Outside the end of data there is no message to judge: nothing matches.
                var status = (await context.AuthenticationAsync().ConfigureAwait(false))?.DmarcStatus;
                return status is not null && EximList.Matches(EximList.Split(value), i => i.Equals(status, StringComparison.OrdinalIgnoreCase));
            }

            default: // condition
                var text = value.Trim();
                return text.Length > 0 && text != "0" && !text.Equals("no", StringComparison.OrdinalIgnoreCase)
                       && !text.Equals("false", StringComparison.OrdinalIgnoreCase);
        }
    }

    // per_conn and per_mail count once per connection or message: the first time, a mark in
    // the connection's or message's variables; per_rcpt and per_cmd every time, per_byte the size.
    private static bool RateOver(RateLimiter.Limit limit, PolicyContext context)
    {
        var mark = limit.Per switch
        {
            "per_conn" => $"acl_c_ratelimit_{limit.Key}_{limit.Period.TotalSeconds}",
            "per_mail" => $"acl_m_ratelimit_{limit.Key}_{limit.Period.TotalSeconds}",
            _ => null,
        };
        var count = limit.Per switch
        {
            "per_byte" => context.Check.Size ?? 0,
            "per_rcpt" when context.Check.Stage is PolicyStage.Data or PolicyStage.Predata => context.Check.Recipients?.Count ?? 1,
            _ => 1.0,
        };
        var counted = mark is not null && context.Variables.ContainsKey(mark);
        var (over, rate) = context.Rates.Record(limit with { ReadOnly = limit.ReadOnly || counted }, counted ? 0 : count);
        if (mark is not null && !counted)
            context.Set(mark, "1");
        context.SetLocal("sender_rate", rate.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture));
        context.SetLocal("sender_rate_limit", limit.Maximum.ToString(System.Globalization.CultureInfo.InvariantCulture));
        context.SetLocal("sender_rate_period", $"{limit.Period.TotalSeconds}s");
        return over;
    }

    // An item of a local-part or name list: *, ^regex, *suffix, or the text, ignoring case.
    private static bool Matches(string item, string value) =>
        item == "*"
        || (item.StartsWith('^') && System.Text.RegularExpressions.Regex.IsMatch(value, item, System.Text.RegularExpressions.RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1)))
        || (item.StartsWith('*') && value.EndsWith(item[1..], StringComparison.OrdinalIgnoreCase))
        || item.Equals(value, StringComparison.OrdinalIgnoreCase);

    // An address-list item: empty for the null sender, *@domain or @domain, a domain-list item after @, or the address.
    private bool SenderMatches(string item, string sender)
    {
        if (item.Length == 0)
            return sender.Length == 0;
        if (sender.Length == 0)
            return false;
        if (item.StartsWith('^'))
            return Matches(item, sender);
        var at = sender.LastIndexOf('@');
        var itemAt = item.LastIndexOf('@');
        if (itemAt < 0)
            return item == "*" || (at >= 0 && Domains(item).Contains(sender[(at + 1)..]));
        var localItem = item[..itemAt];
        var domainItem = item[(itemAt + 1)..];
        var local = at >= 0 ? sender[..at] : sender;
        var domainPart = at >= 0 ? sender[(at + 1)..] : "";
        return (localItem.Length == 0 || Matches(localItem, local)) && Domains(domainItem).Contains(domainPart);
    }
}
