using Pipeline.Contracts.Policy;

namespace Pipeline.Policy;

/// <summary>The <c>Policy</c> section.</summary>
public sealed class PolicyOptions
{
    /// <summary>The configuration section's name.</summary>
    public const string Section = "Policy";

    /// <summary>
    /// Fixed verdicts, tried in order before the default accept: each names a stage, the
    /// recipients it applies to and what to answer. The simplest form of policy; the rule
    /// engine takes over from it.
    /// </summary>
    public List<StaticVerdict> Verdicts { get; set; } = [];

    /// <summary>The rule file (docs/rules.md): the ACL of each stage. None: every stage accepts.</summary>
    public string? Rules { get; set; }

    /// <summary>
    /// Redis servers for <c>${lookup redis{...}}</c> in rules (Exim's <c>redis_servers</c>), each
    /// <c>host[:port]/database/password</c>, tried in order until one answers. Defaults to none.
    /// </summary>
    public List<string> RedisServers { get; set; } = [];

    /// <summary>
    /// Whether a message accepted at the end of data gets an Authentication-Results header
    /// (RFC 8601) with its SPF, DKIM and DMARC results, any such header from outside that names
    /// <see cref="AuthservId"/> being removed. SPF, DKIM and DMARC then run for every message,
    /// with their DNS lookups. Defaults to true.
    /// </summary>
    public bool AuthenticationResults { get; set; } = true;

    /// <summary>The authserv-id of Authentication-Results (RFC 8601 §2.5). Defaults to <see cref="PrimaryHostname"/>.</summary>
    public string? AuthservId { get; set; }

    /// <summary>The Public Suffix List file DMARC finds Organizational Domains with. Defaults to the copy shipped in <c>Data/</c>.</summary>
    public string PublicSuffixList { get; set; } = Path.Combine(AppContext.BaseDirectory, "Data", "public_suffix_list.dat");

    /// <summary>The name policy gives the receiving host (<c>$primary_hostname</c>, SPF's <c>%{r}</c> and headers). Defaults to the machine's host name.</summary>
    public string PrimaryHostname { get; set; } = System.Net.Dns.GetHostName();
}

/// <summary>One entry of <c>Policy:Verdicts</c>.</summary>
public sealed class StaticVerdict
{
    /// <summary>The stage: <c>Rcpt</c>, <c>Prdr</c> (per recipient at the end of data with PRDR) ...</summary>
    public PolicyStage Stage { get; set; }

    /// <summary>Recipient addresses it applies to: <c>user@domain</c>, or <c>*@domain</c>. Empty means every recipient.</summary>
    public List<string> Recipients { get; set; } = [];

    /// <summary><c>Accept</c>, <c>Deny</c> or <c>Defer</c>.</summary>
    public PolicyAction Action { get; set; }

    /// <summary>The text of the reply, or none for the default.</summary>
    public string? Message { get; set; }

    /// <summary>At <c>Rcpt</c>: the content checks the recipient's mail needs (see <see cref="PolicyVerdict.ContentFilter"/>).</summary>
    public string? ContentFilter { get; set; }

    /// <summary>True when this entry decides <paramref name="check"/>.</summary>
    public bool Applies(CheckPolicy check) =>
        check.Stage == Stage
        && (Recipients.Count == 0 || (check.Recipient is { } r && Recipients.Any(p =>
            string.Equals(p, r, StringComparison.OrdinalIgnoreCase)
            || (p.StartsWith("*@", StringComparison.Ordinal) && r.EndsWith(p[1..], StringComparison.OrdinalIgnoreCase)))));
}
