using System.Text;
using MimeKit;
using MimeKit.Utils;
using Pipeline.Contracts.Events;
using Pipeline.Infrastructure.Reports;

namespace Pipeline.Events.Dmarc;

/// <summary>
/// A DMARC failure report (RFC 7489 §7.3) in the Abuse Reporting Format for authentication
/// failures (RFC 6591, RFC 5965): <c>multipart/report; report-type=feedback-report</c> with a
/// short text, the <c>message/feedback-report</c> part (<c>Feedback-Type: auth-failure</c>,
/// <c>Auth-Failure: dmarc</c>), and the failed message's header (or the whole message).
/// </summary>
public static class FailureReport
{
    /// <summary>The report's bytes.</summary>
    /// <param name="received">The failed message's <c>msg:received</c>, with its DMARC evaluation.</param>
    /// <param name="original">The failed message as stored.</param>
    /// <param name="to">The report's recipients.</param>
    /// <param name="options">The reporting organisation and what the report carries.</param>
    /// <param name="now">The report's Date.</param>
    public static byte[] Create(MessageReceived received, byte[] original, IReadOnlyList<string> to, DmarcReportOptions options, DateTimeOffset now)
    {
        var dmarc = received.Dmarc ?? throw new ArgumentException("the message has no DMARC evaluation", nameof(received));
        var report = new MimeMessage();
        report.From.Add(MailboxAddress.Parse(options.FailureFrom));
        foreach (var address in to)
            report.To.Add(MailboxAddress.Parse(address));
        report.Subject = $"DMARC failure report for {dmarc.HeaderFrom} (message {received.MessageId})";
        report.Date = now;
        report.MessageId = MimeUtils.GenerateMessageId(options.Submitter);
        report.Headers.Add("Auto-Submitted", "auto-generated");

        var body = new MultipartReport("feedback-report")
        {
            new TextPart("plain")
            {
                Text = $"This is an authentication failure report for a message from {dmarc.HeaderFrom} received from " +
                    $"{received.HostAddress} at {DateUtils.FormatDate(received.ReceivedAt)}: DMARC {dmarc.Result}, " +
                    $"policy {dmarc.AppliedPolicy}, disposition {dmarc.Disposition}.\r\n",
            },
            Feedback(received, dmarc, options),
            Original(original, options.FailureReportsIncludeBody),
        };
        report.Body = body;
        return ReportMail.Bytes(report);
    }

    // RFC 5965 §3.1 and RFC 6591 §3: the machine-readable part.
    private static MimePart Feedback(MessageReceived received, DmarcEvaluation dmarc, DmarcReportOptions options)
    {
        var fields = new StringBuilder();
        void Field(string name, string value) => fields.Append(name).Append(": ").Append(value).Append("\r\n");
        Field("Feedback-Type", "auth-failure");
        Field("User-Agent", "Pipeline/1");
        Field("Version", "1");
        Field("Original-Mail-From", $"<{received.Sender}>");
        foreach (var recipient in received.Recipients)
            Field("Original-Rcpt-To", $"<{recipient.Address}>");
        Field("Arrival-Date", DateUtils.FormatDate(received.ReceivedAt));
        Field("Source-IP", received.HostAddress);
        Field("Reported-Domain", dmarc.HeaderFrom);
        Field("Authentication-Results", $"{options.Submitter}; dmarc={dmarc.Result} header.from={dmarc.HeaderFrom}; " +
            $"spf={dmarc.Spf.Result} smtp.{(dmarc.Spf.Scope == "helo" ? "helo" : "mailfrom")}={dmarc.Spf.Domain}" +
            string.Concat(dmarc.Dkim.Select(d => $"; dkim={d.Result} header.d={d.Domain}")));
        Field("Auth-Failure", "dmarc");
        Field("Identity-Alignment", FailureOptions.IdentityAlignment(dmarc));
        foreach (var dkim in dmarc.Dkim.Where(d => d.Result != "pass"))
        {
            Field("DKIM-Domain", dkim.Domain);
            Field("DKIM-Selector", dkim.Selector);
        }

        return new MimePart("message", "feedback-report")
        {
            Content = new MimeContent(new MemoryStream(Encoding.ASCII.GetBytes(fields.ToString()))),
            ContentTransferEncoding = ContentEncoding.SevenBit,
        };
    }

    // The failed message: its header only unless asked for the whole (RFC 6591 §3.1 allows either).
    private static MimeEntity Original(byte[] original, bool whole)
    {
        if (whole)
            return new MessagePart("rfc822") { Message = MimeMessage.Load(new MemoryStream(original)) };
        var end = HeaderEnd(original);
        return new MimePart("text", "rfc822-headers")
        {
            Content = new MimeContent(new MemoryStream(original, 0, end)),
            ContentTransferEncoding = original.AsSpan(0, end).ContainsAnyInRange((byte)0x80, (byte)0xff) ? ContentEncoding.EightBit : ContentEncoding.SevenBit,
        };
    }

    // The length of the header, its closing empty line included.
    private static int HeaderEnd(byte[] message)
    {
        var at = message.AsSpan().IndexOf("\r\n\r\n"u8);
        if (at >= 0)
            return at + 4;
        at = message.AsSpan().IndexOf("\n\n"u8);
        return at >= 0 ? at + 2 : message.Length;
    }
}
