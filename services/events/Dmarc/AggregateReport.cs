using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Pipeline.Contracts.Events;

namespace Pipeline.Events.Dmarc;

/// <summary>One received message as an aggregate report counts it.</summary>
/// <param name="SourceIp">The client's address.</param>
/// <param name="EnvelopeFrom">The MAIL FROM domain; empty for the null sender.</param>
/// <param name="EnvelopeTo">The first recipient's domain.</param>
/// <param name="Dmarc">Its DMARC evaluation.</param>
public sealed record ReportedMessage(string SourceIp, string EnvelopeFrom, string EnvelopeTo, DmarcEvaluation Dmarc)
{
    /// <summary>The message as reported, or null when it was not DMARC-evaluated or came from no client (a local message).</summary>
    public static ReportedMessage? Of(MessageReceived received) =>
        received.Dmarc is { } dmarc && AggregateReport.SourceIp(received.HostAddress) is { } ip
            ? new ReportedMessage(ip, received.Sender.LastIndexOf('@') is var at and >= 0 ? received.Sender[(at + 1)..].ToLowerInvariant() : "",
                received.Recipients.Count > 0 ? received.Recipients[0].Domain : "", dmarc)
            : null;
}

/// <summary>
/// One <c>record</c> of an aggregate report (RFC 7489 appendix C): the messages that share a
/// source address, an evaluated disposition and DMARC results, identifiers and authentication results.
/// </summary>
/// <param name="SourceIp">The client's address, written as the schema's pattern wants it.</param>
/// <param name="Count">How many messages.</param>
/// <param name="Disposition">none, quarantine or reject.</param>
/// <param name="DkimPass">True when a DKIM signature passed aligned.</param>
/// <param name="SpfPass">True when SPF passed aligned.</param>
/// <param name="SampledOut">True when pct sampling lowered the disposition (reason <c>sampled_out</c>).</param>
/// <param name="EnvelopeTo">The recipient domain.</param>
/// <param name="EnvelopeFrom">The MAIL FROM domain.</param>
/// <param name="HeaderFrom">The From domain.</param>
/// <param name="Dkim">The DKIM results.</param>
/// <param name="Spf">The SPF result.</param>
public sealed record AggregateRecord(string SourceIp, int Count, string Disposition, bool DkimPass, bool SpfPass, bool SampledOut,
    string EnvelopeTo, string EnvelopeFrom, string HeaderFrom, IReadOnlyList<DmarcDkimResult> Dkim, DmarcSpfResult Spf);

/// <summary>
/// The aggregate report of one policy domain for one period: the policy as last published
/// within it and one record per group of alike messages, counted.
/// </summary>
/// <param name="PolicyDomain">The domain reported on.</param>
/// <param name="Period">The period.</param>
/// <param name="ReportId">The report's id, the same whoever makes it (from the domain and the period).</param>
/// <param name="Policy">The evaluation whose published policy the report shows (the period's last).</param>
/// <param name="Records">The records, largest first.</param>
public sealed record AggregateReport(string PolicyDomain, ReportPeriod Period, string ReportId, DmarcEvaluation Policy,
    IReadOnlyList<AggregateRecord> Records)
{
    /// <summary>How many messages the report counts.</summary>
    public int Messages => Records.Sum(r => r.Count);

    /// <summary>Groups <paramref name="messages"/> (in the order received) into a report; null when there are none.</summary>
    public static AggregateReport? Build(string policyDomain, ReportPeriod period, IReadOnlyList<ReportedMessage> messages)
    {
        if (messages.Count == 0)
            return null;
        var records = messages
            .Select(m => new AggregateRecord(m.SourceIp, 1, m.Dmarc.Disposition, m.Dmarc.Dkim.Any(d => d.Aligned), m.Dmarc.Spf.Aligned,
                m.Dmarc.Result == "fail" && m.Dmarc.Disposition != m.Dmarc.AppliedPolicy, m.EnvelopeTo, m.EnvelopeFrom, m.Dmarc.HeaderFrom,
                m.Dmarc.Dkim.Select(d => d with { Aligned = false }).ToList(), m.Dmarc.Spf with { Aligned = false }))
            .GroupBy(GroupKey, StringComparer.Ordinal)
            .Select(g => g.First() with { Count = g.Count() })
            .OrderByDescending(r => r.Count).ThenBy(r => r.SourceIp, StringComparer.Ordinal)
            .ToList();
        return new AggregateReport(policyDomain, period, ReportIdFor(policyDomain, period), messages[^1].Dmarc, records);
    }

    /// <summary>
    /// The report id: 16 hex digits of a hash of the domain and the period, so that every process
    /// (and every run) names the same report alike, and it fits the file name's unique-id (§7.2.1.1).
    /// </summary>
    public static string ReportIdFor(string policyDomain, ReportPeriod period) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"dmarc-aggregate|{policyDomain.ToLowerInvariant()}|{period.Begin}|{period.Last}"))))[..16];

    // Records share everything but their count: the row, the identifiers, the authentication results.
    private static string GroupKey(AggregateRecord r) => string.Join('\u001f',
        [r.SourceIp, r.Disposition, r.DkimPass ? "1" : "0", r.SpfPass ? "1" : "0", r.SampledOut ? "1" : "0", r.EnvelopeTo, r.EnvelopeFrom, r.HeaderFrom,
        string.Join('\u001e', r.Dkim.Select(d => $"{d.Domain}\u001d{d.Selector}\u001d{d.Result}")), r.Spf.Domain, r.Spf.Scope, r.Spf.Result]);

    /// <summary>
    /// An address as the schema's IPAddress type takes it: IPv4 dotted, IPv6 as eight groups
    /// without <c>::</c> (the appendix C pattern knows no other form), a v4-mapped one as IPv4;
    /// null when it is no address.
    /// </summary>
    public static string? SourceIp(string address)
    {
        if (!IPAddress.TryParse(address, out var ip))
            return null;
        if (ip.IsIPv4MappedToIPv6)
            ip = ip.MapToIPv4();
        if (ip.AddressFamily == AddressFamily.InterNetwork)
            return ip.ToString();
        var bytes = ip.GetAddressBytes();
        return string.Join(':', Enumerable.Range(0, 8).Select(i => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).ToString("x", CultureInfo.InvariantCulture)));
    }
}
