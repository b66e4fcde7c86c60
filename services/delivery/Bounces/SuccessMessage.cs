using System.Text;
using MimeKit;
using Pipeline.Contracts.Events;

namespace Pipeline.Delivery.Bounces;

/// <summary>
/// The success notification (RFC 3464 with <c>Action: relayed</c>) a sender who asked for one
/// with <c>NOTIFY=SUCCESS</c> gets when the message went on to a server that does not offer DSN
/// (RFC 3461 §5.2.2): past that server nobody reports on it. Where the server offers DSN, the
/// NOTIFY and ORCPT parameters go on with the message and the report is that server's task, so
/// none is made here. From the null sender, with Exim's wording, a <c>2.0.0</c> status per
/// recipient and the original's headers (RET=FULL asks for the content of failure reports only,
/// §4.3).
/// </summary>
public static class SuccessMessage
{
    /// <summary>
    /// The recipients among <paramref name="delivered"/> to report as relayed: none for a
    /// message from the null sender, else those whose NOTIFY names SUCCESS and whose server did
    /// not offer DSN (<paramref name="dsnOffered"/> false for them).
    /// </summary>
    public static IReadOnlyList<DsnRecipient> Reportable(MessageReceived received, IEnumerable<(DsnRecipient Recipient, bool DsnOffered)> delivered) =>
        received.Sender.Length == 0 ? [] : delivered.Where(d => !d.DsnOffered && DsnNotify.Success(d.Recipient.Recipient)).Select(d => d.Recipient).ToList();

    /// <summary>Builds the notification's bytes.</summary>
    /// <param name="received">The message.</param>
    /// <param name="original">Its stored bytes (only its headers go in the notification).</param>
    /// <param name="relayed">The recipients to report, at least one, each with the server's reply.</param>
    /// <param name="hostName">This MTA's name, for <c>Reporting-MTA</c> and the From address.</param>
    /// <param name="now">The time of the notification.</param>
    public static byte[] Create(MessageReceived received, ReadOnlySpan<byte> original, IReadOnlyList<DsnRecipient> relayed, string hostName,
        DateTimeOffset now)
    {
        var notice = DsnReport.Start(received, hostName, "Delivery Status Notification", "success", now);
        var text = new StringBuilder()
            .Append("This message was created automatically by mail delivery software.\n\n")
            .Append(" ----- The following addresses had successful delivery notifications -----\n");
        foreach (var recipient in relayed)
            text.Append('<').Append(recipient.Recipient.Address).Append("> (relayed to non-DSN-aware mailer)\n");

        var report = new MultipartReport("delivery-status") { new TextPart("plain") { Text = text.ToString() } };
        var status = new MessageDeliveryStatus();
        status.StatusGroups.Add(DsnReport.PerMessage(received, hostName));
        foreach (var recipient in relayed)
            status.StatusGroups.Add(DsnReport.PerRecipient(recipient, "relayed", "2.0.0"));
        report.Add(status);
        if (!original.IsEmpty)
            report.Add(DsnReport.Headers(original));
        notice.Body = report;
        return DsnReport.Bytes(notice);
    }
}
