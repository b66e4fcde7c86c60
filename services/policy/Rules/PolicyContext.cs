using System.Globalization;
using System.Net;
using Pipeline.Contracts.Policy;
using MimeKit;
using Pipeline.Policy.Dmarc;
using Pipeline.Policy.Lookups;
using Pipeline.Policy.Spf;

namespace Pipeline.Policy.Rules;

/// <summary>
/// What the rules of one check can see: Exim's variables for this stage, the ACL variables the
/// connection carries, and SPF's result, computed at most once per sender and kept with the
/// connection's variables so that later checks reuse it.
/// </summary>
public sealed class PolicyContext(CheckPolicy check, PolicyServices services, CancellationToken cancellationToken)
{
    private MessageAuthentication? _authentication;

    private const string SpfIdentity = "spf_identity";
    private readonly Dictionary<string, string> _variables = new(check.Variables ?? new Dictionary<string, string>(), StringComparer.Ordinal);

    /// <summary>The check being answered.</summary>
    public CheckPolicy Check { get; } = check;

    /// <summary>The variables to hand back to ingress for the next checks.</summary>
    public IReadOnlyDictionary<string, string> Variables => _variables;

    /// <summary>The variables set during this check (ACL variables, SPF's results).</summary>
    public bool Changed { get; private set; }

    // Variables of this check only ($sender_rate ...), not carried to the next.
    private readonly Dictionary<string, string> _local = new(StringComparer.Ordinal);

    /// <summary>Sets a variable for the rest of this check only.</summary>
    public void SetLocal(string name, string value) => _local[name] = value;

    /// <summary>The rates of the ratelimit condition.</summary>
    public RateLimiter Rates => services.Rates;

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
        services.Redis is not { IsConfigured: true } redis
            ? throw new RedisUnavailableException("a Redis lookup, but Policy:RedisServers is empty")
            : redis.LookupAsync(command);

    /// <summary>SPF, DKIM and DMARC of the message when something of this check already asked for them; null otherwise.</summary>
    public MessageAuthentication? Evaluated => _authentication;

    /// <summary>
    /// At the end of data: SPF, DKIM and DMARC for the message, evaluated once. Null at other
    /// stages, or when ingress sent no content.
    /// </summary>
    public async Task<MessageAuthentication?> AuthenticationAsync()
    {
        if (_authentication is not null || Check.Content is not { } content)
            return _authentication;
        var spfResult = await SpfAsync().ConfigureAwait(false);
        var message = await MimeMessage.LoadAsync(new MemoryStream(content, writable: false), cancellationToken).ConfigureAwait(false);
        var dkim = await services.Dkim.VerifyAsync(message, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
        var from = MessageAuthentication.FromDomainOf(message);
        var off = _variables.ContainsKey("control_dmarc_disable_verify");
        var identity = string.IsNullOrEmpty(Check.Sender) ? $"postmaster@{Check.Helo}" : Check.Sender;
        DmarcOutcome? dmarc = null;
        if (from is not null && !off)
        {
            dmarc = await services.Dmarc.EvaluateAsync(from, spfResult, identity[(identity.LastIndexOf('@') + 1)..],
                dkim.Select(d => new DkimSignatureResult(d.Passed, d.Domain, d.Selector)).ToList(), cancellationToken).ConfigureAwait(false);
        }

        _authentication = new MessageAuthentication(spfResult, identity, dkim, from, dmarc, off);
        return _authentication;
    }

    /// <summary>The SPF result for this connection's client and sender (or HELO name).</summary>
    public async Task<SpfResult> SpfAsync()
    {
        var identity = $"{Check.ClientAddress}|{Check.Sender}|{Check.Helo}";
        if (_variables.GetValueOrDefault(SpfIdentity) != identity || !SpfResultNames.TryParse(_variables.GetValueOrDefault("spf_result") ?? "", out var known))
        {
            var outcome = await services.Spf.CheckAsync(Client, Check.Sender ?? "", Check.Helo ?? "", services.PrimaryHostname, cancellationToken).ConfigureAwait(false);
            foreach (var (name, value) in SpfVariables.For(outcome, Check, services.PrimaryHostname))
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

        if (_local.TryGetValue(name, out var local))
            return local;

        if (name.StartsWith("acl_", StringComparison.Ordinal) || name.StartsWith("control_", StringComparison.Ordinal))
            return _variables.GetValueOrDefault(name) ?? "";

        if (name.StartsWith("dmarc_", StringComparison.Ordinal) || name.StartsWith("dkim_", StringComparison.Ordinal) || name == "authentication_results")
        {
            var authentication = await AuthenticationAsync().ConfigureAwait(false);
            return authentication is null ? "" : name switch
            {
                "dmarc_status" => authentication.DmarcStatus,
                "dmarc_status_text" => authentication.DmarcStatusText,
                "dmarc_used_domain" => authentication.DmarcUsedDomain,
                "dmarc_domain_policy" => authentication.DmarcDomainPolicy,
                "dmarc_ar_header" => authentication.DmarcResinfo ?? "",
                "dkim_verify_status" => authentication.Dkim.Count == 0 ? "none" : authentication.Dkim.Any(d => d.Passed) ? "pass" : authentication.Dkim[0].Result,
                "dkim_signers" => string.Join(':', authentication.Dkim.Where(d => d.Passed).Select(d => d.Domain).Distinct()),
                "authentication_results" => authentication.Header(services.PrimaryHostname),
                _ => null,
            };
        }

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
            "primary_hostname" => services.PrimaryHostname,
            "proxy_session" => proxy is null ? "false" : "true",
            "proxy_external_address" or "proxy_host_address" => proxy?.ExternalAddress ?? "",
            "proxy_external_port" or "proxy_host_port" => proxy?.ExternalPort.ToString(CultureInfo.InvariantCulture) ?? "",
            "proxy_local_address" or "proxy_target_address" => proxy?.LocalAddress ?? "",
            "proxy_local_port" or "proxy_target_port" => proxy?.LocalPort.ToString(CultureInfo.InvariantCulture) ?? "",
            _ => null,
        };
    }
}
