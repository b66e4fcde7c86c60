using System.Text.RegularExpressions;
using MimeKit;
using MimeKit.Utils;
using Pipeline.Contracts.Events;

namespace Pipeline.Delivery.Bounces;

/// <summary>One recipient a delivery status notification reports on.</summary>
/// <param name="Recipient">The recipient, with its DSN parameters.</param>
/// <param name="Reason">What happened: the server's reply, or the error.</param>
/// <param name="RemoteHost">The server that gave it, when one did.</param>
/// <param name="WillRetryUntil">For a delay: when the retry rules give up on it, when known.</param>
public sealed record DsnRecipient(Recipient Recipient, string Reason, string? RemoteHost, DateTimeOffset? WillRetryUntil = null);

/// <summary>
/// The parts the delivery status notifications of RFC 3464 share: the report's envelope (from
/// the mailer-daemon to the sender), the per-message and per-recipient fields of its
/// <c>message/delivery-status</c> part, the original's headers, and the bytes.
/// </summary>
internal static partial class DsnReport
{
    /// <summary>A new report to <paramref name="received"/>'s sender, with its subject and a Message-ID tagged <paramref name="tag"/>.</summary>
    public static MimeMessage Start(MessageReceived received, string hostName, string subject, string tag, DateTimeOffset now)
    {
        var report = new MimeMessage();
        report.From.Add(new MailboxAddress("Mail Delivery System", $"Mailer-Daemon@{hostName}"));
        report.To.Add(MailboxAddress.Parse(received.Sender));
        report.Subject = subject;
        report.Date = now;
        report.MessageId = $"{received.MessageId}.{tag}.{now.ToUnixTimeSeconds()}@{hostName}";
        // Exim's marking of its warnings and bounces (RFC 3834 §5): no auto-responder answers it.
        report.Headers.Add("Auto-Submitted", "auto-generated");
        return report;
    }

    /// <summary>The per-message fields (RFC 3464 §2.2).</summary>
    public static HeaderList PerMessage(MessageReceived received, string hostName)
    {
        var fields = new HeaderList { { "Reporting-MTA", $"dns; {hostName}" } };
        if (received.DsnEnvelopeId is not null)
            fields.Add("Original-Envelope-Id", received.DsnEnvelopeId);
        fields.Add("Arrival-Date", DateUtils.FormatDate(received.ReceivedAt));
        return fields;
    }

    /// <summary>The per-recipient fields (RFC 3464 §2.3) of one recipient, under <paramref name="action"/> with <paramref name="status"/>.</summary>
    public static HeaderList PerRecipient(DsnRecipient recipient, string action, string status)
    {
        var fields = new HeaderList();
        if (recipient.Recipient.OriginalRecipient is not null)
            fields.Add("Original-Recipient", recipient.Recipient.OriginalRecipient);
        fields.Add("Final-Recipient", $"rfc822; {recipient.Recipient.Address}");
        fields.Add("Action", action);
        fields.Add("Status", status);
        if (recipient.RemoteHost is not null)
            fields.Add("Remote-MTA", $"dns; {recipient.RemoteHost}");
        if (Reply(recipient.Reason) is { } reply)
            fields.Add("Diagnostic-Code", $"smtp; {reply}");
        if (recipient.WillRetryUntil is { } until)
            fields.Add("Will-Retry-Until", DateUtils.FormatDate(until));
        return fields;
    }

    /// <summary>
    /// The RFC 3463 status of <paramref name="reason"/> in <paramref name="statusClass"/> (2, 4
    /// or 5): the class with the subject and detail of the server's enhanced code when its
    /// reply had one, else <c>N.0.0</c>.
    /// </summary>
    public static string Status(string reason, char statusClass)
    {
        var reply = Reply(reason);
        var enhanced = reply is null ? Match.Empty : EnhancedPattern().Match(reply);
        return enhanced.Success ? $"{statusClass}{enhanced.Groups[1].Value[1..]}" : $"{statusClass}.0.0";
    }

    /// <summary>The server's reply inside an error text, e.g. <c>... after RCPT TO:&lt;a@b&gt;: 451 4.3.0 later</c>; null when it has none.</summary>
    public static string? Reply(string reason) => ReplyPattern().Match(reason) is { Success: true } m ? m.Value : null;

    /// <summary>The original's header, as a <c>text/rfc822-headers</c> part (RFC 3462), and parsed.</summary>
    public static TextRfc822Headers Headers(ReadOnlySpan<byte> original)
    {
        var end = original.IndexOf("\r\n\r\n"u8);
        using var headers = new MemoryStream(end < 0 ? original.ToArray() : original[..(end + 4)].ToArray());
        return new TextRfc822Headers { Message = MimeMessage.Load(headers) };
    }

    /// <summary>The report's bytes, with CRLF line ends.</summary>
    public static byte[] Bytes(MimeMessage report)
    {
        using var stream = new MemoryStream();
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        report.WriteTo(format, stream);
        return stream.ToArray();
    }

    [GeneratedRegex(@"(?<=^|: )[245]\d\d[ -].*$", RegexOptions.CultureInvariant)]
    private static partial Regex ReplyPattern();

    [GeneratedRegex(@"^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b", RegexOptions.CultureInvariant)]
    private static partial Regex EnhancedPattern();
}
