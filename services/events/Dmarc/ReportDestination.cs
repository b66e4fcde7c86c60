using System.Globalization;
using Pipeline.Contracts.Events;
using Pipeline.Infrastructure.Dns;

namespace Pipeline.Events.Dmarc;

/// <summary>
/// A <c>mailto:</c> reporting address of a DMARC record (RFC 7489 §6.2): the address, and the
/// size limit after <c>!</c> (<c>!10m</c>: ten mebibytes; units k, m, g, t, powers of 2).
/// </summary>
/// <param name="Address">The address.</param>
/// <param name="Domain">Its domain, lower-cased.</param>
/// <param name="MaxSize">The largest report it takes, in bytes, or null for no limit.</param>
/// <param name="External">True when it is in another Organizational Domain than the policy domain (§7.1).</param>
public sealed record ReportDestination(string Address, string Domain, long? MaxSize, bool External)
{
    /// <summary>The destination a URI names, or null when it is no usable <c>mailto:</c> URI (the pipeline sends reports only by mail).</summary>
    public static ReportDestination? Parse(DmarcReportUri uri)
    {
        var text = uri.Uri.Trim();
        var bang = text.LastIndexOf('!');
        long? limit = null;
        if (bang > 0)
        {
            if (Size(text[(bang + 1)..]) is not { } size)
                return null;
            limit = size;
            text = text[..bang];
        }

        if (!text.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
            return null;
        // RFC 6068: the address is percent-encoded; headers after '?' are ignored here.
        var address = Uri.UnescapeDataString(text["mailto:".Length..].Split('?')[0]).Trim();
        var at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1 || address.Contains(',') || !MimeKit.MailboxAddress.TryParse(address, out _))
            return null;
        return new ReportDestination(address, address[(at + 1)..].TrimEnd('.').ToLowerInvariant(), limit, uri.External);
    }

    /// <summary>True when a report of <paramref name="size"/> bytes is within the limit.</summary>
    public bool Takes(long size) => MaxSize is not { } limit || size <= limit;

    private static long? Size(string text)
    {
        if (text.Length == 0)
            return null;
        var multiplier = char.ToLowerInvariant(text[^1]) switch
        {
            'k' => 1L << 10,
            'm' => 1L << 20,
            'g' => 1L << 30,
            't' => 1L << 40,
            _ => 1L,
        };
        var digits = multiplier == 1 ? text : text[..^1];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number <= long.MaxValue / multiplier
            ? number * multiplier
            : null;
    }

    /// <summary>
    /// The destinations of <paramref name="uris"/> that may get a report of
    /// <paramref name="size"/> bytes about <paramref name="policyDomain"/>: within their size
    /// limit, and, when external, having agreed in DNS (§7.1: a TXT record
    /// <c>policy-domain._report._dmarc.destination-domain</c> starting with <c>v=DMARC1</c>).
    /// A destination whose check fails for now (a DNS error) is left out of this report.
    /// </summary>
    public static async Task<IReadOnlyList<ReportDestination>> AcceptingAsync(IEnumerable<DmarcReportUri> uris, string policyDomain, long size,
        IDnsResolver dns, CancellationToken cancellationToken)
    {
        var accepting = new List<ReportDestination>();
        foreach (var destination in uris.Select(Parse).OfType<ReportDestination>())
        {
            if (!destination.Takes(size) || accepting.Any(a => string.Equals(a.Address, destination.Address, StringComparison.OrdinalIgnoreCase)))
                continue;
            if (destination.External && !await AgreesAsync(policyDomain, destination.Domain, dns, cancellationToken).ConfigureAwait(false))
                continue;
            accepting.Add(destination);
        }

        return accepting;
    }

    /// <summary>True when <paramref name="destinationDomain"/> publishes that it takes reports about <paramref name="policyDomain"/> (§7.1).</summary>
    public static async Task<bool> AgreesAsync(string policyDomain, string destinationDomain, IDnsResolver dns, CancellationToken cancellationToken)
    {
        var answer = await dns.GetTxtAsync($"{policyDomain}._report._dmarc.{destinationDomain}", cancellationToken).ConfigureAwait(false);
        return answer.Status == DnsStatus.Found && answer.Records.Any(DmarcRecordStart);
    }

    private static bool DmarcRecordStart(string text)
    {
        var first = text.Split(';', 2)[0].Split('=', 2);
        return first.Length == 2 && first[0].Trim() == "v" && first[1].Trim() == "DMARC1";
    }
}
