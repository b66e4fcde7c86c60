using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Pipeline.Delivery.Protocol;
using Pipeline.Infrastructure.Dns;
using Pipeline.Infrastructure.Reports;

namespace Pipeline.Delivery.TlsReports;

/// <summary>How sending one domain's report went.</summary>
public enum TlsReportOutcome
{
    /// <summary>Sent: queued as mail and/or posted.</summary>
    Sent,

    /// <summary>Another process, or an earlier run, made it already.</summary>
    AlreadyClaimed,

    /// <summary>The domain publishes no usable TLSRPT record: nothing to send, and the report is claimed so that it is not looked up again.</summary>
    NoPolicy,

    /// <summary>The TLSRPT lookup failed for now: the report is tried again at the next run.</summary>
    LookupFailed,
}

/// <summary>
/// Sends one domain's TLS report to where its TLSRPT record (<c>_smtp._tls.domain</c>, RFC 8460
/// §3) says, once across every process: the report's claim (kind <c>tls-rpt</c>, the policy
/// domain, the period) is taken with the mail to every <c>mailto:</c> address queued in the same
/// transaction (<see cref="ReportSubmitter"/>), or alone when there is none; only the process
/// that took it posts to the <c>https:</c> addresses (§5.4). A post that fails is logged and not
/// repeated (a report goes at most once to an endpoint).
/// </summary>
public sealed class TlsReportSender : IDisposable
{
    /// <summary>The claim kind of TLS reports.</summary>
    public const string ClaimKind = "tls-rpt";

    private readonly ReportSubmitter _submitter;
    private readonly IDnsResolver _dns;
    private readonly TlsReporter _reporter;
    private readonly string _from;
    private readonly TimeProvider _clock;
    private readonly ILogger<TlsReportSender> _log;
    private readonly HttpClient _http;

    /// <summary>Creates the sender; https reports are verified against <c>Delivery:TlsVerifyCertificates</c>, as delivery verifies servers.</summary>
    public TlsReportSender(ReportSubmitter submitter, IDnsResolver dns, DeliveryOptions options, TimeProvider clock, ILogger<TlsReportSender> log)
    {
        _submitter = submitter;
        _dns = dns;
        _clock = clock;
        _log = log;
        var reports = options.TlsReports;
        var submitterName = reports.Submitter ?? options.HeloData;
        _reporter = new TlsReporter(reports.OrganizationName ?? submitterName, reports.ContactInfo ?? $"postmaster@{submitterName}", submitterName);
        _from = reports.From ?? $"noreply-tlsrpt@{submitterName}";
        var handler = new SocketsHttpHandler();
        if (options.TlsVerifyCertificates != "system")
        {
            var trust = new X509Certificate2Collection();
            trust.ImportFromPemFile(options.TlsVerifyCertificates);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                certificate is X509Certificate2 leaf && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None && Chains(leaf, trust);
        }

        _http = new HttpClient(handler) { Timeout = reports.HttpsTimeout };
    }

    /// <summary>Who the reports say they come from.</summary>
    public TlsReporter Reporter => _reporter;

    /// <summary>Sends <paramref name="report"/> unless it was sent before.</summary>
    /// <exception cref="Npgsql.NpgsqlException">The store failed: the report may be tried again.</exception>
    public async Task<TlsReportOutcome> SendAsync(TlsReport report, CancellationToken cancellationToken)
    {
        var claim = new ReportClaim(ClaimKind, report.PolicyDomain, report.Begin, report.End, report.PolicyDomain);
        if (await _submitter.Claims.IsClaimedAsync(claim.Kind, claim.Key, claim.PeriodStart, cancellationToken).ConfigureAwait(false))
            return TlsReportOutcome.AlreadyClaimed;

        var lookup = await _dns.GetTxtAsync(TlsRptRecord.NameFor(report.PolicyDomain), cancellationToken).ConfigureAwait(false);
        if (lookup.Status == DnsStatus.TemporaryFailure)
        {
            _log.LogWarning("The TLSRPT lookup for {Domain} failed ({Error}): its report waits for the next run", report.PolicyDomain, lookup.Error);
            return TlsReportOutcome.LookupFailed;
        }

        var record = lookup.Status == DnsStatus.Found ? TlsRptRecord.Select(lookup.Records, out _) : null;
        if (record is null)
        {
            await _submitter.ClaimOnlyAsync(claim, cancellationToken).ConfigureAwait(false);
            return TlsReportOutcome.NoPolicy;
        }

        var mailto = record.Rua.Where(u => u.Scheme == Uri.UriSchemeMailto).Select(MailAddress).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var https = record.Rua.Where(u => u.Scheme == Uri.UriSchemeHttps).ToList();
        bool claimed;
        if (mailto.Count > 0)
        {
            var message = TlsReportMessage.Create(report, _reporter.Submitter, _from, mailto, _clock.GetUtcNow());
            claimed = await _submitter.SubmitAsync(claim, "", mailto, message, cancellationToken).ConfigureAwait(false) is not null;
        }
        else
        {
            claimed = await _submitter.ClaimOnlyAsync(claim, cancellationToken).ConfigureAwait(false);
        }

        if (!claimed)
            return TlsReportOutcome.AlreadyClaimed;
        if (https.Count > 0)
        {
            var body = TlsReportJson.WriteGzip(report);
            foreach (var endpoint in https)
                await PostAsync(endpoint, body, report, cancellationToken).ConfigureAwait(false);
        }

        _log.LogInformation("TLS report {ReportId} for {Domain}: {Successful} successful and {Failed} failed sessions, sent to {Rua}",
            report.ReportId, report.PolicyDomain, report.SuccessfulSessions, report.FailedSessions, string.Join(", ", record.Rua));
        return TlsReportOutcome.Sent;
    }

    // RFC 8460 §5.4: the gzipped JSON as the body of a POST; any 2xx is success.
    private async Task PostAsync(Uri endpoint, byte[] body, TlsReport report, CancellationToken cancellationToken)
    {
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue(TlsReportMessage.GzipMediaType);
            using var response = await _http.PostAsync(endpoint, content, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                _log.LogWarning("The TLS report {ReportId} was refused by {Endpoint}: {Status}", report.ReportId, endpoint, (int)response.StatusCode);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _log.LogWarning(e, "The TLS report {ReportId} could not be posted to {Endpoint}", report.ReportId, endpoint);
        }
    }

    // mailto:local@domain, percent-decoded, without any ?query.
    private static string MailAddress(Uri uri)
    {
        var text = uri.OriginalString["mailto:".Length..];
        var query = text.IndexOf('?', StringComparison.Ordinal);
        return Uri.UnescapeDataString(query < 0 ? text : text[..query]);
    }

    private static bool Chains(X509Certificate2 leaf, X509Certificate2Collection trust)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trust);
        return chain.Build(leaf);
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
