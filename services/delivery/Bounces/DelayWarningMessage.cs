using System.Text;
using MimeKit;
using Pipeline.Contracts.Events;

namespace Pipeline.Delivery.Bounces;

/// <summary>
/// The warning (RFC 3464, <c>Action: delayed</c>) that a message is still undelivered to some
/// recipients after a time in the queue (<c>Delivery:DelayWarning</c>, Exim's
/// <c>delay_warning</c>): from the null sender, as <c>multipart/report;
/// report-type=delivery-status</c> with Exim's default text, a <c>4.x.x</c> status and, when
/// known, <c>Will-Retry-Until</c> per delayed recipient, and the original's headers. Never to the
/// null sender (RFC 5321 §4.5.5), never for a recipient whose NOTIFY leaves DELAY out (RFC 3461
/// §4.1), and never for mailing-list, bulk or automatic mail (Exim's default
/// <c>delay_warning_condition</c>).
/// </summary>
public static class DelayWarningMessage
{
    /// <summary>
    /// The recipients of <paramref name="received"/> to name in a warning about
    /// <paramref name="delayed"/>: none for a message from the null sender or one
    /// <see cref="IsBulk"/> says is bulk, else those whose NOTIFY asks for delays.
    /// </summary>
    public static IReadOnlyList<DsnRecipient> Reportable(MessageReceived received, ReadOnlySpan<byte> original, IEnumerable<DsnRecipient> delayed) =>
        received.Sender.Length == 0 || IsBulk(original) ? [] : delayed.Where(d => DsnNotify.Delay(d.Recipient)).ToList();

    /// <summary>
    /// Exim's default <c>delay_warning_condition</c>: no warning for a message with a
    /// <c>List-Id:</c>, <c>List-Post:</c> or <c>List-Subscribe:</c> header, <c>bulk</c>,
    /// <c>list</c> or <c>junk</c> in <c>Precedence:</c>, or <c>auto-generated</c> or
    /// <c>auto-replied</c> in <c>Auto-Submitted:</c>.
    /// </summary>
    public static bool IsBulk(ReadOnlySpan<byte> original)
    {
        if (original.IsEmpty)
            return false;
        var headers = DsnReport.Headers(original).Message!.Headers;
        return headers.Contains("List-Id") || headers.Contains("List-Post") || headers.Contains("List-Subscribe")
            || Mentions(headers["Precedence"], "bulk", "list", "junk")
            || Mentions(headers["Auto-Submitted"], "auto-generated", "auto-replied");
    }

    /// <summary>Builds the warning's bytes.</summary>
    /// <param name="received">The delayed message.</param>
    /// <param name="original">Its stored bytes (only its headers go in the warning).</param>
    /// <param name="delayed">The recipients to name, at least one.</param>
    /// <param name="delay">How long the message has been in the queue, as the schedule's last time passed.</param>
    /// <param name="hostName">This MTA's name, for <c>Reporting-MTA</c>, the From address and the text.</param>
    /// <param name="now">The time of the warning.</param>
    public static byte[] Create(MessageReceived received, ReadOnlySpan<byte> original, IReadOnlyList<DsnRecipient> delayed, TimeSpan delay,
        string hostName, DateTimeOffset now)
    {
        var words = DelayWarningSchedule.Words(delay);
        var warning = DsnReport.Start(received, hostName, $"Warning: message {received.MessageId} delayed {words}", "warning", now);
        var headers = original.IsEmpty ? null : DsnReport.Headers(original);

        var report = new MultipartReport("delivery-status") { Explanation(received, headers?.Message, delayed, words, hostName) };
        var status = new MessageDeliveryStatus();
        status.StatusGroups.Add(DsnReport.PerMessage(received, hostName));
        foreach (var recipient in delayed)
            status.StatusGroups.Add(DsnReport.PerRecipient(recipient, "delayed", DsnReport.Status(recipient.Reason, '4')));
        report.Add(status);
        if (headers is not null)
            report.Add(headers);
        warning.Body = report;
        return DsnReport.Bytes(warning);
    }

    // Exim's default warning text (Exim specification, "Customizing warning messages"); the
    // subject and date lines are left out when the message has no such header, as Exim does.
    private static TextPart Explanation(MessageReceived received, MimeMessage? original, IReadOnlyList<DsnRecipient> delayed, string delay,
        string hostName)
    {
        var text = new StringBuilder()
            .Append("This message was created automatically by mail delivery software.\n\n")
            .Append("A message that you sent has not yet been delivered to one or more of its\n")
            .Append("recipients after more than ").Append(delay).Append(" on the queue on ").Append(hostName).Append(".\n\n")
            .Append("The message identifier is:     ").Append(received.MessageId).Append('\n');
        if (original?.Headers["Subject"] is { } subject)
            text.Append("The subject of the message is: ").Append(subject.Trim()).Append('\n');
        if (original?.Headers["Date"] is { } date)
            text.Append("The date of the message is:    ").Append(date.Trim()).Append('\n');
        text.Append('\n').Append(delayed.Count == 1
            ? "The address to which the message has not yet been delivered is:\n\n"
            : "The addresses to which the message has not yet been delivered are:\n\n");
        foreach (var recipient in delayed)
            text.Append("  ").Append(recipient.Recipient.Address).Append('\n').Append("    Delay reason: ").Append(recipient.Reason).Append('\n');
        text.Append('\n')
            .Append("No action is required on your part. Delivery attempts will continue for\n")
            .Append("some time, and this warning may be repeated at intervals if the message\n")
            .Append("remains undelivered. Eventually the mail delivery software will give up,\n")
            .Append("and when that happens, the message will be returned to you.\n");
        return new TextPart("plain") { Text = text.ToString() };
    }

    private static bool Mentions(string? value, params string[] words) =>
        value is not null && words.Any(w => value.Contains(w, StringComparison.OrdinalIgnoreCase));
}
