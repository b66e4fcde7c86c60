using System.Globalization;
using System.Text;
using MimeKit;
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
public static class BounceMessage
{
    /// <summary>
    /// True when <paramref name="received"/>'s failures call for a bounce: never for a message
    /// from the null sender (no bounce of a bounce, RFC 5321 §4.5.5), and only for recipients
    /// whose DSN NOTIFY, when given, includes FAILURE (RFC 3461 §4.1).
    /// </summary>
    public static IReadOnlyList<BounceFailure> Reportable(MessageReceived received, IEnumerable<BounceFailure> failures) =>
        received.Sender.Length == 0
            ? []
            : failures.Where(f => DsnNotify.Failure(f.Recipient)).ToList();

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
            report.Add(headersOnly ? DsnReport.Headers(original) : Returned(original));
        bounce.Body = report;
        return DsnReport.Bytes(bounce);
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
        status.StatusGroups.Add(DsnReport.PerMessage(received, hostName));
        foreach (var failure in failures)
            status.StatusGroups.Add(DsnReport.PerRecipient(new DsnRecipient(failure.Recipient, failure.Reason, failure.RemoteHost), "failed", StatusCode(failure)));
        return status;
    }

    // The RFC 3463 code: the server's enhanced code when its reply had one, else its class. A
    // recipient reported under "Action: failed" failed for good, so its status is always of
    // class 5 (RFC 3464 §2.3.3): a recipient whose retry time ran out gets 5.4.7 (delivery
    // time expired), whatever temporary reply it last had.
    private static string StatusCode(BounceFailure failure) => failure.Expired ? "5.4.7" : DsnReport.Status(failure.Reason, '5');

    private static MessagePart Returned(ReadOnlySpan<byte> original)
    {
        using var stream = new MemoryStream(original.ToArray());
        return new MessagePart { Message = MimeMessage.Load(stream) };
    }
}
