using MimeKit;
using MimeKit.Utils;

namespace Pipeline.Infrastructure.Reports;

/// <summary>A file a report message carries.</summary>
/// <param name="FileName">Its name, e.g. <c>receiver!example.com!1700000000!1700086399!1a2b.xml.gz</c>.</param>
/// <param name="MediaType">Its type, e.g. <c>application/gzip</c>.</param>
/// <param name="Content">Its bytes.</param>
public sealed record ReportAttachment(string FileName, string MediaType, byte[] Content);

/// <summary>
/// The message of a report: <c>multipart/mixed</c> with a short text and the report as an
/// attachment (base64), as RFC 7489 §7.2.1.1 and RFC 8460 §5.3 send them.
/// </summary>
public static class ReportMail
{
    /// <summary>Builds the message's bytes.</summary>
    /// <param name="from">The From address, e.g. <c>noreply-dmarc@mx.example.net</c>.</param>
    /// <param name="to">The To addresses.</param>
    /// <param name="subject">The Subject.</param>
    /// <param name="text">The text part's content.</param>
    /// <param name="attachment">The report.</param>
    /// <param name="now">The Date.</param>
    /// <param name="extraHeaders">More header fields (e.g. <c>TLS-Report-Domain</c>), in order.</param>
    /// <param name="multipartSubtype">The top part's subtype: <c>mixed</c>, or <c>report</c> with a <c>report-type</c> parameter (TLS-RPT).</param>
    /// <param name="reportType">With <paramref name="multipartSubtype"/> <c>report</c>: its <c>report-type</c>, e.g. <c>tlsrpt</c>.</param>
    public static byte[] Compose(string from, IReadOnlyList<string> to, string subject, string text, ReportAttachment attachment, DateTimeOffset now,
        IReadOnlyList<KeyValuePair<string, string>>? extraHeaders = null, string multipartSubtype = "mixed", string? reportType = null)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        foreach (var address in to)
            message.To.Add(MailboxAddress.Parse(address));
        message.Subject = subject;
        message.Date = now;
        message.MessageId = MimeUtils.GenerateMessageId(MailboxAddress.Parse(from).Domain);
        message.Headers.Add("Auto-Submitted", "auto-generated");
        foreach (var (name, value) in extraHeaders ?? [])
            message.Headers.Add(name, value);

        var body = multipartSubtype == "report" ? new MultipartReport(reportType ?? "") : new Multipart(multipartSubtype);
        body.Add(new TextPart("plain") { Text = text });
        var type = ContentType.Parse(attachment.MediaType);
        body.Add(new MimePart(type)
        {
            Content = new MimeContent(new MemoryStream(attachment.Content)),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment) { FileName = attachment.FileName },
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = attachment.FileName,
        });
        message.Body = body;
        return Bytes(message);
    }

    /// <summary>A message's bytes as they are stored: CRLF line ends.</summary>
    public static byte[] Bytes(MimeMessage message)
    {
        using var stream = new MemoryStream();
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        message.WriteTo(format, stream);
        return stream.ToArray();
    }
}
