using System.Net;
using System.Net.Sockets;

namespace Pipeline.Infrastructure.Dns;

/// <summary>The DNS lookups of the pipeline, behind one interface so that tests can feed zones.</summary>
public interface IDnsResolver
{
    /// <summary>The MX records of <paramref name="domain"/>.</summary>
    Task<DnsResult<MxRecord>> GetMxAsync(string domain, CancellationToken cancellationToken);

    /// <summary>The IPv6 and IPv4 addresses of <paramref name="host"/> (AAAA, then A).</summary>
    Task<DnsResult<IPAddress>> GetAddressesAsync(string host, CancellationToken cancellationToken);

    /// <summary>The addresses of one family of <paramref name="host"/>: A for IPv4, AAAA for IPv6.</summary>
    Task<DnsResult<IPAddress>> GetAddressesAsync(string host, AddressFamily family, CancellationToken cancellationToken);

    /// <summary>The TXT records of <paramref name="name"/>, each one's strings joined without a separator (RFC 7208 §3.3).</summary>
    Task<DnsResult<string>> GetTxtAsync(string name, CancellationToken cancellationToken);

    /// <summary>The names the PTR records of <paramref name="address"/> give, without the trailing dot.</summary>
    Task<DnsResult<string>> GetPtrAsync(IPAddress address, CancellationToken cancellationToken);

    /// <summary>The TLSA records at <paramref name="name"/>, e.g. <c>_25._tcp.mx.example</c> (RFC 6698, for DANE).</summary>
    Task<DnsResult<TlsaRecord>> GetTlsaAsync(string name, CancellationToken cancellationToken);
}
