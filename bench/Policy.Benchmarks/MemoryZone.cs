using System.Net;
using System.Net.Sockets;
using Pipeline.Infrastructure.Dns;

namespace Pipeline.Policy.Benchmarks;

/// <summary>DNS answered from memory: what a resolver with a warm cache gives, without the network.</summary>
public sealed class MemoryZone : IDnsResolver
{
    public Dictionary<string, string[]> Txt { get; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, IPAddress[]> Addresses { get; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, MxRecord[]> Mx { get; } = new(StringComparer.OrdinalIgnoreCase);

    private static Task<DnsResult<T>> Answer<T>(T[]? records) =>
        Task.FromResult(records is { Length: > 0 } ? new DnsResult<T>(DnsStatus.Found, records, false) : new DnsResult<T>(DnsStatus.NameNotFound, [], false));

    public Task<DnsResult<string>> GetTxtAsync(string name, CancellationToken cancellationToken) => Answer(Txt.GetValueOrDefault(name));

    public Task<DnsResult<IPAddress>> GetAddressesAsync(string host, AddressFamily family, CancellationToken cancellationToken) =>
        Answer(Addresses.GetValueOrDefault(host)?.Where(a => a.AddressFamily == family).ToArray());

    public Task<DnsResult<IPAddress>> GetAddressesAsync(string host, CancellationToken cancellationToken) => Answer(Addresses.GetValueOrDefault(host));

    public Task<DnsResult<MxRecord>> GetMxAsync(string domain, CancellationToken cancellationToken) => Answer(Mx.GetValueOrDefault(domain));

    public Task<DnsResult<string>> GetPtrAsync(IPAddress address, CancellationToken cancellationToken) => Answer<string>(null);

    public Task<DnsResult<TlsaRecord>> GetTlsaAsync(string name, CancellationToken cancellationToken) => Answer<TlsaRecord>(null);
}
