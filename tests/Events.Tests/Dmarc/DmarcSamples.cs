using System.Net;
using System.Xml;
using System.Xml.Schema;
using Pipeline.Contracts.Events;
using Pipeline.Events.Dmarc;
using Pipeline.Infrastructure.Dns;

namespace Pipeline.Events.Tests.Dmarc;

/// <summary>Evaluations, options, a TXT-only zone and the appendix C schema for the DMARC report tests.</summary>
internal static class DmarcSamples
{
    public static DmarcReportOptions Options { get; } = new()
    {
        Enabled = true, OrgName = "mx.example.net", Email = "dmarc-reports@example.net", ExtraContactInfo = "https://example.net/dmarc",
    };

    public static DmarcEvaluation Evaluation(bool spfAligned = true, bool dkimAligned = false, string disposition = "none", string policy = "none",
        string fo = "0", string result = "pass", params string[] rua) =>
        new("example.com", "example.com", "example.com", policy, policy, 100, false, false, policy, disposition, result,
            dkimAligned ? [new DmarcDkimResult("example.com", "s1", "pass", true)] : [],
            new DmarcSpfResult("example.com", "mfrom", spfAligned ? "pass" : "fail", spfAligned),
            rua.Select(u => new DmarcReportUri(u, false)).ToList(), [], fo, 86400, true);

    public static ReportedMessage Message(string ip, DmarcEvaluation evaluation) => new(AggregateReport.SourceIp(ip)!, "example.com", "example.net", evaluation);

    public static ReportPeriod Day { get; } = new(DateTimeOffset.FromUnixTimeSeconds(1699920000), DateTimeOffset.FromUnixTimeSeconds(1700006400));

    /// <summary>The schema errors of <paramref name="xml"/> against rua-schema.fixed.xsd; empty when it validates.</summary>
    public static IReadOnlyList<string> SchemaErrors(string xml)
    {
        var errors = new List<string>();
        var settings = new XmlReaderSettings { ValidationType = ValidationType.Schema };
        settings.Schemas.Add(AggregateReportXml.Namespace, Path.Combine(AppContext.BaseDirectory, "testdata", "dmarc", "rua-schema.fixed.xsd"));
        settings.ValidationEventHandler += (_, e) => errors.Add(e.Message);
        using var reader = XmlReader.Create(new StringReader(xml), settings);
        while (reader.Read())
        {
        }

        return errors;
    }

    /// <summary>A resolver that knows only TXT records.</summary>
    public sealed class TxtZone : IDnsResolver
    {
        public Dictionary<string, DnsResult<string>> Txt { get; } = new(StringComparer.OrdinalIgnoreCase);

        public List<string> Asked { get; } = [];

        public Task<DnsResult<string>> GetTxtAsync(string name, CancellationToken cancellationToken)
        {
            Asked.Add(name);
            return Task.FromResult(Txt.TryGetValue(name, out var r) ? r : new DnsResult<string>(DnsStatus.NameNotFound, [], false));
        }

        public Task<DnsResult<MxRecord>> GetMxAsync(string domain, CancellationToken cancellationToken) =>
            Task.FromResult(new DnsResult<MxRecord>(DnsStatus.NameNotFound, [], false));

        public Task<DnsResult<IPAddress>> GetAddressesAsync(string host, CancellationToken cancellationToken) =>
            Task.FromResult(new DnsResult<IPAddress>(DnsStatus.NameNotFound, [], false));

        public Task<DnsResult<IPAddress>> GetAddressesAsync(string host, System.Net.Sockets.AddressFamily family, CancellationToken cancellationToken) =>
            GetAddressesAsync(host, cancellationToken);

        public Task<DnsResult<string>> GetPtrAsync(IPAddress address, CancellationToken cancellationToken) =>
            Task.FromResult(new DnsResult<string>(DnsStatus.NameNotFound, [], false));

        public Task<DnsResult<TlsaRecord>> GetTlsaAsync(string name, CancellationToken cancellationToken) =>
            Task.FromResult(new DnsResult<TlsaRecord>(DnsStatus.NoData, [], false));
    }
}
