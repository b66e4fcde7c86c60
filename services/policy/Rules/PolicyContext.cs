using System.Globalization;
using System.Net;
using Pipeline.Contracts.Policy;
using Pipeline.Policy.Lookups;
using Pipeline.Policy.Spf;

namespace Pipeline.Policy.Rules;

/// <summary>
/// What the rules of one check can see: Exim's variables for this stage, the ACL variables the
/// connection carries, and SPF's result, computed at most once per sender and kept with the
/// connection's variables so that later checks reuse it.
/// </summary>
public sealed class PolicyContext(CheckPolicy check, SpfChecker spf, string primaryHostname, CancellationToken cancellationToken,
    RedisLookup? redis = null)
{
    private const string SpfIdentity = "spf_identity";
    private readonly Dictionary<string, string> _variables = new(check.Variables ?? new Dictionary<string, string>(), StringComparer.Ordinal);

    /// <summary>The check being answered.</summary>
    public CheckPolicy Check { get; } = check;

    /// <summary>The variables to hand back to ingress for the next checks.</summary>
    public IReadOnlyDictionary<string, string> Variables => _variables;

    /// <summary>The variables set during this check (ACL variables, SPF's results).</summary>
    public bool Changed { get; private set; }

    /// <summary>Sets an ACL variable (<c>set acl_m_x = value</c>).</summary>
    public void Set(string name, string value)
    {
        _variables[name] = value;
        Changed = true;
    }

    /// <summary>The recipient's domain at RCPT and PRDR, or null.</summary>
    public string? Domain => Check.Recipient is { } r && r.LastIndexOf('@') is var at and >= 0 ? r[(at + 1)..] : null;

    /// <summary>The recipient's local part at RCPT and PRDR, or null.</summary>
    public string? LocalPart => Check.Recipient is { } r ? (r.LastIndexOf('@') is var at and >= 0 ? r[..at] : r) : null;

    /// <summary>The client's address.</summary>
    public IPAddress Client => IPAddress.TryParse(Check.ClientAddress, out var address) ? address : IPAddress.None;

    /// <summary>The reply to a Redis command (<c>${lookup redis{...}}</c>).</summary>
    /// <exception cref="RedisUnavailableException">No Redis server answered.</exception>
    public Task<string> RedisAsync(string command) =>
        redis is null ? throw new RedisUnavailableException("a Redis lookup, but Policy:RedisServers is empty") : redis.LookupAsync(command);

    /// <summary>The SPF result for this connection's client and sender (or HELO name).</summary>
    public async Task<SpfResult> SpfAsync()
    {
        var identity = $"{Check.ClientAddress}|{Check.Sender}|{Check.Helo}";
        if (_variables.GetValueOrDefault(SpfIdentity) != identity || !SpfResultNames.TryParse(_variables.GetValueOrDefault("spf_result") ?? "", out var known))
        {
            var outcome = await spf.CheckAsync(Client, Check.Sender ?? "", Check.Helo ?? "", primaryHostname, cancellationToken).ConfigureAwait(false);
            foreach (var (name, value) in SpfVariables.For(outcome, Check, primaryHostname))
                _variables[name] = value;
            _variables[SpfIdentity] = identity;
            Changed = true;
            return outcome.Result;
        }

        return known;
    }

    /// <summary>The value of <c>$name</c>, or null when it has none here; SPF's variables are computed when first used.</summary>
    public async Task<string?> ValueAsync(string name)
    {
        if (name.StartsWith("spf_", StringComparison.Ordinal))
        {
            await SpfAsync().ConfigureAwait(false);
            return _variables.GetValueOrDefault(name);
        }

        if (name.StartsWith("acl_", StringComparison.Ordinal))
            return _variables.GetValueOrDefault(name) ?? "";

        var sender = Check.Sender;
        var at = sender?.LastIndexOf('@') ?? -1;
        var proxy = Check.Proxy;
        return name switch
        {
            "sender_address" => sender,
            "sender_address_domain" => at >= 0 ? sender![(at + 1)..] : sender is null ? null : "",
            "sender_address_local_part" => at >= 0 ? sender![..at] : sender,
            "local_part" => LocalPart,
            "domain" => Domain,
            "sender_host_address" => Check.ClientAddress,
            "sender_host_port" => Check.ClientPort.ToString(CultureInfo.InvariantCulture),
            "sender_helo_name" => Check.Helo ?? "",
            "authenticated_id" => Check.AuthenticatedId ?? "",
            "message_size" => Check.Size?.ToString(CultureInfo.InvariantCulture) ?? "-1",
            "recipients_count" => (Check.Recipients?.Count ?? 0).ToString(CultureInfo.InvariantCulture),
            "recipients" => Check.Recipients is null ? "" : string.Join(", ", Check.Recipients),
            "primary_hostname" => primaryHostname,
            "proxy_session" => proxy is null ? "false" : "true",
            "proxy_external_address" or "proxy_host_address" => proxy?.ExternalAddress ?? "",
            "proxy_external_port" or "proxy_host_port" => proxy?.ExternalPort.ToString(CultureInfo.InvariantCulture) ?? "",
            "proxy_local_address" or "proxy_target_address" => proxy?.LocalAddress ?? "",
            "proxy_local_port" or "proxy_target_port" => proxy?.LocalPort.ToString(CultureInfo.InvariantCulture) ?? "",
            _ => null,
        };
    }
}
