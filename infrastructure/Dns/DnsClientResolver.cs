using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using Pipeline.Infrastructure.Configuration;
using Pipeline.Infrastructure.Hosting;

namespace Pipeline.Infrastructure.Dns;

/// <summary><see cref="IDnsResolver"/> on DnsClient, asking the servers of <c>Dns:Servers</c>.</summary>
public sealed class DnsClientResolver : IDnsResolver
{
    private readonly LookupClient _client;

    /// <summary>Creates the resolver from <c>Dns</c> settings.</summary>
    public DnsClientResolver(DnsSettings settings)
    {
        var servers = settings.Servers.Select(ParseServer).ToArray();
        var options = servers.Length > 0 ? new LookupClientOptions(servers) : new LookupClientOptions();
        options.Timeout = settings.Timeout;
        options.Retries = settings.Retries;
        options.UseCache = true;
        options.ThrowDnsErrors = false;
        options.ContinueOnDnsError = false;
        options.RequestDnsSecRecords = true;
        _client = new LookupClient(options);
    }

    private static NameServer ParseServer(string text) =>
        IPAddress.TryParse(text, out var address)
            ? new NameServer(address, 53)
            : new NameServer(EndPoints.Parse(text));

    /// <inheritdoc />
    public async Task<DnsResult<MxRecord>> GetMxAsync(string domain, CancellationToken cancellationToken)
    {
        var (status, response, error) = await QueryAsync(domain, QueryType.MX, cancellationToken).ConfigureAwait(false);
        if (response is null || status != DnsStatus.Found)
            return new DnsResult<MxRecord>(status, [], false, error);
        var records = response.Answers.MxRecords()
            .Select(mx => new MxRecord(mx.Preference, mx.Exchange.Value.TrimEnd('.')))
            .ToList();
        return new DnsResult<MxRecord>(records.Count > 0 ? DnsStatus.Found : DnsStatus.NoData, records, response.Header.IsAuthenticData);
    }

    /// <inheritdoc />
    public async Task<DnsResult<IPAddress>> GetAddressesAsync(string host, CancellationToken cancellationToken)
    {
        var v6 = await QueryAsync(host, QueryType.AAAA, cancellationToken).ConfigureAwait(false);
        var v4 = await QueryAsync(host, QueryType.A, cancellationToken).ConfigureAwait(false);
        var addresses = new List<IPAddress>();
        if (v6.Response is not null)
            addresses.AddRange(v6.Response.Answers.AaaaRecords().Select(r => r.Address));
        if (v4.Response is not null)
            addresses.AddRange(v4.Response.Answers.ARecords().Select(r => r.Address));
        if (addresses.Count > 0)
        {
            var authenticated = (v6.Response?.Header.IsAuthenticData ?? false) && (v4.Response?.Header.IsAuthenticData ?? false);
            return new DnsResult<IPAddress>(DnsStatus.Found, addresses, authenticated);
        }

        var status = v4.Status == DnsStatus.TemporaryFailure || v6.Status == DnsStatus.TemporaryFailure
            ? DnsStatus.TemporaryFailure
            : v4.Status == DnsStatus.NameNotFound ? DnsStatus.NameNotFound : DnsStatus.NoData;
        return new DnsResult<IPAddress>(status, [], false, v4.Error ?? v6.Error);
    }

    /// <inheritdoc />
    public async Task<DnsResult<IPAddress>> GetAddressesAsync(string host, AddressFamily family, CancellationToken cancellationToken)
    {
        var type = family == AddressFamily.InterNetworkV6 ? QueryType.AAAA : QueryType.A;
        var (status, response, error) = await QueryAsync(host, type, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<IPAddress> addresses = response is null ? [] : type == QueryType.A
            ? response.Answers.ARecords().Select(r => r.Address).ToList()
            : response.Answers.AaaaRecords().Select(r => r.Address).ToList();
        return Result(status, addresses, response, error);
    }

    /// <inheritdoc />
    public async Task<DnsResult<string>> GetTxtAsync(string name, CancellationToken cancellationToken)
    {
        var (status, response, error) = await QueryAsync(name, QueryType.TXT, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> texts = response is null ? [] : response.Answers.TxtRecords().Select(r => string.Concat(r.Text)).ToList();
        return Result(status, texts, response, error);
    }

    /// <inheritdoc />
    public async Task<DnsResult<string>> GetPtrAsync(IPAddress address, CancellationToken cancellationToken)
    {
        var (status, response, error) = await QueryAsync(address.GetArpaName(), QueryType.PTR, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> names = response is null ? [] : response.Answers.PtrRecords().Select(r => r.PtrDomainName.Value.TrimEnd('.')).ToList();
        return Result(status, names, response, error);
    }

    /// <inheritdoc />
    public async Task<DnsResult<TlsaRecord>> GetTlsaAsync(string name, CancellationToken cancellationToken)
    {
        var (status, response, error) = await QueryAsync(name, QueryType.TLSA, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<TlsaRecord> records = response is null ? [] : response.Answers.OfType<DnsClient.Protocol.TlsaRecord>()
            .Select(r => new TlsaRecord((int)r.CertificateUsage, (int)r.Selector, (int)r.MatchingType, r.CertificateAssociationData.ToArray()))
            .ToList();
        return Result(status, records, response, error);
    }

    // Found only when the answer holds records of the type asked (a CNAME alone is no data).
    private static DnsResult<T> Result<T>(DnsStatus status, IReadOnlyList<T> records, IDnsQueryResponse? response, string? error) =>
        status == DnsStatus.Found && records.Count == 0
            ? new DnsResult<T>(DnsStatus.NoData, [], response?.Header.IsAuthenticData ?? false)
            : new DnsResult<T>(status, records, response?.Header.IsAuthenticData ?? false, error);

    private async Task<(DnsStatus Status, IDnsQueryResponse? Response, string? Error)> QueryAsync(
        string name, QueryType type, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _client.QueryAsync(name, type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
            return response.Header.ResponseCode switch
            {
                DnsHeaderResponseCode.NoError when response.Answers.Count == 0 => (DnsStatus.NoData, response, null),
                DnsHeaderResponseCode.NoError => (DnsStatus.Found, response, null),
                DnsHeaderResponseCode.NotExistentDomain => (DnsStatus.NameNotFound, response, null),
                _ => (DnsStatus.TemporaryFailure, null, response.ErrorMessage),
            };
        }
        catch (DnsResponseException e)
        {
            return (DnsStatus.TemporaryFailure, null, e.Message);
        }
    }
}
