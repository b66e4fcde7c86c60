using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using MimeKit.Utils;
using Pipeline.Contracts.Events;

namespace Pipeline.Delivery.Bounces;

/// <summary>One recipient a bounce reports: why it failed, and where.</summary>
/// <param name="Recipient">The recipient, with its DSN parameters.</param>
/// <param name="Reason">The error: the server's reply, or why delivery gave up.</param>
/// <param name="RemoteHost">The server that refused it, when one did.</param>
/// <param name="Expired">True when its retry time ran out rather than a server refusing it.</param>
public sealed record BounceFailure(Recipient Recipient, string Reason, string? RemoteHost, bool Expired = false);

/// <summary>
/// The delivery status notification (RFC 3464) sent to a message's sender when recipients fail:
/// from the null sender, as <c>multipart/report; report-type=delivery-status</c> with an
/// explanation in words, the machine-readable status of each failed recipient, and the
/// original message (or only its headers, when the sender asked with <c>RET=HDRS</c> or the
/// message is larger than the limit). Exim's wording, so that users recognize it.
/// </summary>
public static partial class BounceMessage
{
    /// <summary>
    /// True when <paramref name="received"/>'s failures call for a bounce: never for a message
    /// from the null sender (no bounce of a bounce, RFC 5321 §4.5.5), and only for recipients
    /// whose DSN NOTIFY, when given, includes FAILURE (RFC 3461 §4.1).
    /// </summary>
    public static IReadOnlyList<BounceFailure> Reportable(MessageReceived received, IEnumerable<BounceFailure> failures) =>
        received.Sender.Length == 0
            ? []
            : failures.Where(f => f.Recipient.Notify is null
                || f.Recipient.Notify.Split(',').Any(n => n.Trim().Equals("FAILURE", StringComparison.OrdinalIgnoreCase))).ToList();

    /// <summary>Builds the bounce's bytes.</summary>
    /// <param name="received">The original message.</param>
    /// <param name="original">Its stored bytes.</param>
    /// <param name="failures">The recipients to report, at least one.</param>
    /// <param name="hostName">This MTA's name, for <c>Reporting-MTA</c> and the From address.</param>
    /// <param name="returnSizeLimit">Above this size only the original's headers are returned.</param>
    /// <param name="now">The time of the bounce.</param>
    public static byte[] Create(MessageReceived received, ReadOnlySpan<byte> original, IReadOnlyList<BounceFailure> failures,
        string hostName, int returnSizeLimit, DateTimeOffset now)
    {
        var bounce = new MimeMessage();
        bounce.From.Add(new MailboxAddress("Mail Delivery System", $"Mailer-Daemon@{hostName}"));
        bounce.To.Add(MailboxAddress.Parse(received.Sender));
        bounce.Subject = "Mail delivery failed: returning message to sender";
        bounce.Date = now;
        bounce.MessageId = $"{received.MessageId}.bounce.{now.ToUnixTimeSeconds()}@{hostName}";
        bounce.Headers.Add("Auto-Submitted", "auto-replied");
        bounce.Headers.Add("X-Failed-Recipients", string.Join(", ", failures.Select(f => f.Recipient.Address)));

        var report = new MultipartReport("delivery-status") { Explanation(failures), Status(received, failures, hostName) };
        var headersOnly = string.Equals(received.DsnReturn, "HDRS", StringComparison.OrdinalIgnoreCase) || original.Length > returnSizeLimit;
        if (!original.IsEmpty)
            report.Add(headersOnly ? Headers(original) : Returned(original));
        bounce.Body = report;

        using var stream = new MemoryStream();
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        bounce.WriteTo(format, stream);
        return stream.ToArray();
    }

    private static TextPart Explanation(IReadOnlyList<BounceFailure> failures)
    {
        var text = new StringBuilder()
            .Append("This message was created automatically by mail delivery software.\n\n")
            .Append("A message that you sent could not be delivered to one or more of its\n")
            .Append("recipients. This is a permanent error. The following address(es) failed:\n\n");
        foreach (var failure in failures)
            text.Append("  ").Append(failure.Recipient.Address).Append('\n').Append("    ").Append(failure.Reason).Append('\n');
        return new TextPart("plain") { Text = text.ToString() };
    }

    private static MessageDeliveryStatus Status(MessageReceived received, IReadOnlyList<BounceFailure> failures, string hostName)
    {
        var status = new MessageDeliveryStatus();
        var message = new HeaderList { { "Reporting-MTA", $"dns; {hostName}" } };
        if (received.DsnEnvelopeId is not null)
            message.Add("Original-Envelope-Id", received.DsnEnvelopeId);
        message.Add("Arrival-Date", DateUtils.FormatDate(received.ReceivedAt));
        status.StatusGroups.Add(message);

        foreach (var failure in failures)
        {
            var recipient = new HeaderList();
            if (failure.Recipient.OriginalRecipient is not null)
                recipient.Add("Original-Recipient", failure.Recipient.OriginalRecipient);
            recipient.Add("Final-Recipient", $"rfc822; {failure.Recipient.Address}");
            recipient.Add("Action", "failed");
            recipient.Add("Status", StatusCode(failure));
            if (failure.RemoteHost is not null)
                recipient.Add("Remote-MTA", $"dns; {failure.RemoteHost}");
            if (ReplyPattern().IsMatch(failure.Reason))
                recipient.Add("Diagnostic-Code", $"smtp; {ReplyPattern().Match(failure.Reason).Value}");
            status.StatusGroups.Add(recipient);
        }

        return status;
    }

    // The RFC 3463 code: the server's enhanced code when its reply had one, else its class. A
    // recipient reported under "Action: failed" failed for good, so its status is always of
    // class 5 (RFC 3464 §2.3.3): a recipient whose retry time ran out gets 5.4.7 (delivery
    // time expired), whatever temporary reply it last had.
    private static string StatusCode(BounceFailure failure)
    {
        if (failure.Expired)
            return "5.4.7";
        var reply = ReplyPattern().Match(failure.Reason);
        if (!reply.Success)
            return "5.0.0";
        var enhanced = EnhancedPattern().Match(reply.Value);
        return enhanced.Success ? $"5{enhanced.Groups[1].Value[1..]}" : "5.0.0";
    }

    private static TextRfc822Headers Headers(ReadOnlySpan<byte> original)
    {
        var end = original.IndexOf("\r\n\r\n"u8);
        using var headers = new MemoryStream(end < 0 ? original.ToArray() : original[..(end + 4)].ToArray());
        return new TextRfc822Headers { Message = MimeMessage.Load(headers) };
    }

    private static MessagePart Returned(ReadOnlySpan<byte> original)
    {
        using var stream = new MemoryStream(original.ToArray());
        return new MessagePart { Message = MimeMessage.Load(stream) };
    }

    // The server's reply inside an error text, e.g. "... after RCPT TO:<a@b>: 550 5.1.1 no such user".
    [GeneratedRegex(@"(?<=^|: )[245]\d\d[ -].*$", RegexOptions.CultureInvariant)]
    private static partial Regex ReplyPattern();

    [GeneratedRegex(@"^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b", RegexOptions.CultureInvariant)]
    private static partial Regex EnhancedPattern();
}
