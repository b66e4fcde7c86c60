using System.Net;

namespace Pipeline.Infrastructure.Dns;

/// <summary>The DNS lookups of the pipeline, behind one interface so that tests can feed zones.</summary>
public interface IDnsResolver
{
    /// <summary>The MX records of <paramref name="domain"/>.</summary>
    Task<DnsResult<MxRecord>> GetMxAsync(string domain, CancellationToken cancellationToken);

    /// <summary>The IPv6 and IPv4 addresses of <paramref name="host"/> (AAAA, then A).</summary>
    Task<DnsResult<IPAddress>> GetAddressesAsync(string host, CancellationToken cancellationToken);
}
