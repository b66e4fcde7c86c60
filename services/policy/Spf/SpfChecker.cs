using System.Net;
using System.Net.Sockets;
using Pipeline.Infrastructure.Dns;

namespace Pipeline.Policy.Spf;

/// <summary>
/// check_host() of RFC 7208 §4: fetches the domain's record, evaluates its mechanisms left to
/// right, follows include and redirect, and holds to the processing limits of §4.6.4 (10 terms
/// that query DNS, 2 void lookups, 10 MX names, 10 PTR names). DNS comes from
/// <see cref="IDnsResolver"/>, whose failures become temperror.
/// </summary>
public sealed class SpfChecker(IDnsResolver dns)
{
    private const int MaxDnsTerms = 10;
    private const int MaxVoidLookups = 2;
    private const int MaxNames = 10;

    /// <summary>Checks <paramref name="client"/> for the MAIL FROM identity, or the HELO identity when <paramref name="sender"/> is empty (§2.3, §2.4).</summary>
    /// <param name="client">The client's address.</param>
    /// <param name="sender">The envelope sender, empty for the null sender.</param>
    /// <param name="helo">The HELO/EHLO name.</param>
    /// <param name="receiver">The receiving host's name, for <c>%{r}</c>.</param>
    /// <param name="cancellationToken">Stops the lookups.</param>
    public Task<SpfOutcome> CheckAsync(IPAddress client, string sender, string helo, string receiver, CancellationToken cancellationToken)
    {
        if (client.IsIPv4MappedToIPv6)
            client = client.MapToIPv4();
        var identity = sender.Length == 0 || sender.LastIndexOf('@') == sender.Length - 1 ? $"postmaster@{helo}" : sender;
        if (identity.IndexOf('@') is 0)
            identity = "postmaster" + identity;
        var domain = identity[(identity.LastIndexOf('@') + 1)..];
        var state = new Evaluation(client, identity, helo, receiver, cancellationToken);
        return CheckHostAsync(state, domain);
    }

    // The mutable part of one evaluation: the counters shared by every nested check_host().
    private sealed class Evaluation(IPAddress client, string sender, string helo, string receiver, CancellationToken ct)
    {
        public IPAddress Client { get; } = client;
        public string Sender { get; } = sender;
        public string Helo { get; } = helo;
        public string Receiver { get; } = receiver;
        public CancellationToken Ct { get; } = ct;
        public int DnsTerms { get; set; }
        public int VoidLookups { get; set; }
        public string? ValidatedPtr { get; set; }
        public MacroContext Context(string domain) => new(Sender, domain, Client, Helo, Receiver);
    }

    // A mechanism's verdict: matched or not, or an error that ends the evaluation.
    private readonly record struct Match(bool Matched, SpfOutcome? Error = null)
    {
        public static Match Yes => new(true);
        public static Match No => new(false);
        public static Match Temp(string problem) => new(false, new SpfOutcome(SpfResult.TempError, Problem: problem));
        public static Match Perm(string problem) => new(false, new SpfOutcome(SpfResult.PermError, Problem: problem));
    }

    private async Task<SpfOutcome> CheckHostAsync(Evaluation state, string domain)
    {
        if (!IsValidDomain(domain))
            return new SpfOutcome(SpfResult.None, Problem: $"{domain} is not a valid domain");

        var txt = await dns.GetTxtAsync(domain, state.Ct).ConfigureAwait(false);
        if (txt.Status == DnsStatus.TemporaryFailure)
            return new SpfOutcome(SpfResult.TempError, Problem: $"looking up TXT of {domain}: {txt.Error ?? "temporary DNS failure"}");
        var records = txt.Records.Where(SpfRecord.IsSpf).ToList();
        if (records.Count == 0)
            return new SpfOutcome(SpfResult.None, Problem: $"{domain} has no SPF record");
        if (records.Count > 1)
            return new SpfOutcome(SpfResult.PermError, Problem: $"{domain} has more than one SPF record");
        var record = SpfRecord.Parse(records[0], out var problem);
        if (record is null)
            return new SpfOutcome(SpfResult.PermError, Problem: $"{domain}: {problem}");

        foreach (var mechanism in record.Mechanisms)
        {
            var match = await MatchAsync(state, domain, mechanism).ConfigureAwait(false);
            if (match.Error is { } error)
                return error;
            if (!match.Matched)
                continue;
            if (mechanism.Qualifier != SpfResult.Fail)
                return new SpfOutcome(mechanism.Qualifier);
            return new SpfOutcome(SpfResult.Fail, await ExplainAsync(state, domain, record).ConfigureAwait(false));
        }

        if (record.Redirect is not { } redirect)
            return new SpfOutcome(SpfResult.Neutral);

        if (++state.DnsTerms > MaxDnsTerms)
            return new SpfOutcome(SpfResult.PermError, Problem: "more than 10 DNS-querying terms");
        var target = await ExpandDomainAsync(state, redirect, domain).ConfigureAwait(false);
        if (target is null)
            return new SpfOutcome(SpfResult.PermError, Problem: $"redirect={redirect} does not expand");
        var outcome = await CheckHostAsync(state, target).ConfigureAwait(false);
        // §6.1: a redirect to a domain without a record is a permerror.
        return outcome.Result == SpfResult.None
            ? new SpfOutcome(SpfResult.PermError, Problem: $"redirect target {target} has no SPF record")
            : outcome;
    }

    private async Task<Match> MatchAsync(Evaluation state, string domain, Mechanism mechanism)
    {
        if (mechanism.Kind is MechanismKind.Include or MechanismKind.A or MechanismKind.Mx or MechanismKind.Ptr or MechanismKind.Exists
            && ++state.DnsTerms > MaxDnsTerms)
            return Match.Perm("more than 10 DNS-querying terms");

        string target = domain;
        if (mechanism.DomainSpec is { } spec)
        {
            var expanded = await ExpandDomainAsync(state, spec, domain).ConfigureAwait(false);
            if (expanded is null)
                return Match.Perm($"{spec} does not expand");
            target = expanded;
        }

        switch (mechanism.Kind)
        {
            case MechanismKind.All:
                return Match.Yes;

            case MechanismKind.Ip4 or MechanismKind.Ip6:
                return InNetwork(state.Client, mechanism.Network!, mechanism.Kind == MechanismKind.Ip4 ? mechanism.Ip4Prefix : mechanism.Ip6Prefix)
                    ? Match.Yes
                    : Match.No;

            case MechanismKind.Include:
            {
                var inner = await CheckHostAsync(state, target).ConfigureAwait(false);
                return inner.Result switch
                {
                    SpfResult.Pass => Match.Yes,
                    SpfResult.Fail or SpfResult.SoftFail or SpfResult.Neutral => Match.No,
                    SpfResult.TempError => new Match(false, inner),
                    _ => Match.Perm(inner.Result == SpfResult.None ? $"include:{target} has no SPF record" : inner.Problem ?? "permerror in include"),
                };
            }

            case MechanismKind.A:
            {
                var addresses = await AddressesAsync(state, target, state.Client.AddressFamily).ConfigureAwait(false);
                return addresses.Error is not null ? addresses.Error.Value : Contains(addresses.List, state.Client, mechanism);
            }

            case MechanismKind.Mx:
            {
                var mx = await dns.GetMxAsync(target, state.Ct).ConfigureAwait(false);
                if (mx.Status == DnsStatus.TemporaryFailure)
                    return Match.Temp($"looking up MX of {target}: {mx.Error}");
                if (Void(mx.Status) && ++state.VoidLookups > MaxVoidLookups)
                    return Match.Perm("more than 2 void lookups");
                if (mx.Records.Count > MaxNames)
                    return Match.Perm($"{target} has more than 10 MX records");
                foreach (var exchange in mx.Records.OrderBy(r => r.Preference))
                {
                    var addresses = await AddressesAsync(state, exchange.Exchange, state.Client.AddressFamily, countVoid: false).ConfigureAwait(false);
                    if (addresses.Error is not null)
                        return addresses.Error.Value;
                    if (Contains(addresses.List, state.Client, mechanism).Matched)
                        return Match.Yes;
                }

                return Match.No;
            }

            case MechanismKind.Ptr:
            {
                var names = await ValidatedNamesAsync(state).ConfigureAwait(false);
                return names.Any(n => n.Equals(target, StringComparison.OrdinalIgnoreCase)
                                      || n.EndsWith("." + target.TrimEnd('.'), StringComparison.OrdinalIgnoreCase))
                    ? Match.Yes
                    : Match.No;
            }

            default: // Exists: an A lookup whatever the client's family (§5.7).
            {
                var addresses = await AddressesAsync(state, target, AddressFamily.InterNetwork).ConfigureAwait(false);
                return addresses.Error is not null ? addresses.Error.Value : addresses.List.Count > 0 ? Match.Yes : Match.No;
            }
        }
    }

    private static bool Void(DnsStatus status) => status is DnsStatus.NameNotFound or DnsStatus.NoData;

    private async Task<(IReadOnlyList<IPAddress> List, Match? Error)> AddressesAsync(Evaluation state, string name, AddressFamily family, bool countVoid = true)
    {
        var result = await dns.GetAddressesAsync(name, family, state.Ct).ConfigureAwait(false);
        if (result.Status == DnsStatus.TemporaryFailure)
            return ([], Match.Temp($"looking up {name}: {result.Error ?? "temporary DNS failure"}"));
        if (countVoid && Void(result.Status) && ++state.VoidLookups > MaxVoidLookups)
            return ([], Match.Perm("more than 2 void lookups"));
        return (result.Records, null);
    }

    private static Match Contains(IReadOnlyList<IPAddress> addresses, IPAddress client, Mechanism mechanism) =>
        addresses.Any(a => InNetwork(client, a, client.AddressFamily == AddressFamily.InterNetworkV6 ? mechanism.Ip6Prefix : mechanism.Ip4Prefix))
            ? Match.Yes
            : Match.No;

    private static bool InNetwork(IPAddress client, IPAddress network, int prefix)
    {
        if (client.AddressFamily != network.AddressFamily)
            return false;
        var a = client.GetAddressBytes();
        var b = network.GetAddressBytes();
        for (var bit = 0; bit < prefix; bit++)
        {
            var mask = 0x80 >> (bit % 8);
            if ((a[bit / 8] & mask) != (b[bit / 8] & mask))
                return false;
        }

        return true;
    }

    // The client's validated names (§5.5): PTR names, at most 10, whose addresses include the client.
    private async Task<IReadOnlyList<string>> ValidatedNamesAsync(Evaluation state)
    {
        var ptr = await dns.GetPtrAsync(state.Client, state.Ct).ConfigureAwait(false);
        var validated = new List<string>();
        foreach (var name in ptr.Records.Take(MaxNames))
        {
            var addresses = await dns.GetAddressesAsync(name, state.Client.AddressFamily, state.Ct).ConfigureAwait(false);
            if (addresses.Records.Any(a => a.Equals(state.Client)))
                validated.Add(name);
        }

        return validated;
    }

    private async Task<string?> ExpandDomainAsync(Evaluation state, string spec, string domain)
    {
        var expanded = await MacroExpander.ExpandAsync(spec, state.Context(domain), explanation: false, () => PtrMacroAsync(state, domain)).ConfigureAwait(false);
        return expanded is null ? null : MacroExpander.Truncate(expanded.TrimEnd('.'));
    }

    // %{p}: a validated name, preferring one in the current domain (§7.3).
    private async Task<string> PtrMacroAsync(Evaluation state, string domain)
    {
        if (state.ValidatedPtr is { } known)
            return known;
        var names = await ValidatedNamesAsync(state).ConfigureAwait(false);
        state.ValidatedPtr = names.FirstOrDefault(n => n.Equals(domain, StringComparison.OrdinalIgnoreCase))
                             ?? names.FirstOrDefault(n => n.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase))
                             ?? (names.Count > 0 ? names[0] : "unknown");
        return state.ValidatedPtr;
    }

    // §6.2: the exp= text, fetched and expanded; any problem just means no explanation.
    private async Task<string?> ExplainAsync(Evaluation state, string domain, SpfRecord record)
    {
        if (record.Explanation is not { } spec)
            return null;
        var target = await ExpandDomainAsync(state, spec, domain).ConfigureAwait(false);
        if (target is null || !IsValidDomain(target))
            return null;
        var txt = await dns.GetTxtAsync(target, state.Ct).ConfigureAwait(false);
        if (txt.Status != DnsStatus.Found || txt.Records.Count != 1)
            return null;
        var text = await MacroExpander.ExpandAsync(txt.Records[0], state.Context(domain), explanation: true, () => PtrMacroAsync(state, domain)).ConfigureAwait(false);
        return text is not null && text.All(c => c is >= ' ' and <= '~') ? text : null;
    }

    // §4.3: a domain that is not a multi-label FQDN with labels of 1 to 63 octets gives none.
    private static bool IsValidDomain(string domain)
    {
        var name = domain.TrimEnd('.');
        if (name.Length is 0 or > 253)
            return false;
        var labels = name.Split('.');
        return labels.Length > 1 && labels.All(l => l.Length is > 0 and <= 63);
    }
}
