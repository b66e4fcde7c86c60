using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Pipeline.Infrastructure.Dns;

namespace Pipeline.Policy.Tests.Conformance;

/// <summary>
/// The DNS of one scenario of the RFC 7208 suite, served as the suite's reference driver
/// (pyspf's testspf.py) serves it; the rules are in tests/testdata's README: unlisted names
/// are NXDOMAIN and names under <c>error.</c> time out; SPF records double as TXT unless the
/// name lists TXT itself; a <c>TIMEOUT</c> entry makes queries for types not listed before it
/// time out; a CNAME answers with its target's records.
/// </summary>
public sealed class SuiteZone : IDnsResolver
{
    private readonly Dictionary<string, List<JsonElement>> _names = new(StringComparer.OrdinalIgnoreCase);

    public SuiteZone(JsonElement zonedata)
    {
        foreach (var name in zonedata.EnumerateObject())
            _names[name.Name.TrimEnd('.')] = [.. name.Value.EnumerateArray()];
    }

    private enum Outcome { Found, NxDomain, NoData, Timeout }

    // The records of one type at a name, following one CNAME.
    private (Outcome Outcome, List<JsonElement> Records) Lookup(string name, string type, bool followCname = true)
    {
        name = name.TrimEnd('.');
        if (name.StartsWith("error.", StringComparison.OrdinalIgnoreCase))
            return (Outcome.Timeout, []);
        if (name.Split('.').Any(l => l.Length > 63))
            return (Outcome.NxDomain, []);
        if (!_names.TryGetValue(name, out var entries))
            return (Outcome.NxDomain, []);

        var found = new List<JsonElement>();
        var hasTxt = entries.Any(e => Type(e) == "TXT");
        foreach (var entry in entries)
        {
            var entryType = Type(entry);
            if (entryType == "TIMEOUT")
                return found.Count > 0 ? (Outcome.Found, found) : (Outcome.Timeout, []);
            if (entry.TryGetProperty("none", out _))
                continue;
            if (entryType == type || (type == "TXT" && entryType == "SPF" && !hasTxt))
                found.Add(entry);
        }

        if (found.Count == 0 && followCname && entries.FirstOrDefault(e => Type(e) == "CNAME") is { ValueKind: JsonValueKind.Object } cname)
            return Lookup(cname.GetProperty("value").GetString()!, type, followCname: false);
        return (found.Count > 0 ? Outcome.Found : Outcome.NoData, found);
    }

    private static string Type(JsonElement entry) => entry.GetProperty("type").GetString()!;

    private static DnsResult<T> Result<T>(Outcome outcome, IEnumerable<T> records) => outcome switch
    {
        Outcome.Found => new DnsResult<T>(DnsStatus.Found, records.ToList(), false),
        Outcome.NxDomain => new DnsResult<T>(DnsStatus.NameNotFound, [], false),
        Outcome.NoData => new DnsResult<T>(DnsStatus.NoData, [], false),
        _ => new DnsResult<T>(DnsStatus.TemporaryFailure, [], false, "timeout"),
    };

    public Task<DnsResult<string>> GetTxtAsync(string name, CancellationToken cancellationToken)
    {
        var (outcome, records) = Lookup(name, "TXT");
        return Task.FromResult(Result(outcome, records.Select(r => string.Concat(r.GetProperty("strings").EnumerateArray().Select(s => s.GetString())))));
    }

    public Task<DnsResult<IPAddress>> GetAddressesAsync(string host, AddressFamily family, CancellationToken cancellationToken)
    {
        var (outcome, records) = Lookup(host, family == AddressFamily.InterNetworkV6 ? "AAAA" : "A");
        return Task.FromResult(Result(outcome, records.Select(r => IPAddress.Parse(r.GetProperty("value").GetString()!))));
    }

    public async Task<DnsResult<IPAddress>> GetAddressesAsync(string host, CancellationToken cancellationToken)
    {
        var v6 = await GetAddressesAsync(host, AddressFamily.InterNetworkV6, cancellationToken);
        var v4 = await GetAddressesAsync(host, AddressFamily.InterNetwork, cancellationToken);
        var all = v6.Records.Concat(v4.Records).ToList();
        return all.Count > 0 ? new DnsResult<IPAddress>(DnsStatus.Found, all, false) : v4;
    }

    public Task<DnsResult<MxRecord>> GetMxAsync(string domain, CancellationToken cancellationToken)
    {
        var (outcome, records) = Lookup(domain, "MX");
        return Task.FromResult(Result(outcome, records.Select(r =>
            new MxRecord(r.GetProperty("preference").GetInt32(), r.GetProperty("exchange").GetString()!.TrimEnd('.')))));
    }

    public Task<DnsResult<string>> GetPtrAsync(IPAddress address, CancellationToken cancellationToken)
    {
        var (outcome, records) = Lookup(address.GetArpaName(), "PTR");
        return Task.FromResult(Result(outcome, records.Select(r => r.GetProperty("value").GetString()!.TrimEnd('.'))));
    }

    public Task<DnsResult<TlsaRecord>> GetTlsaAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(new DnsResult<TlsaRecord>(DnsStatus.NoData, [], false));
}
