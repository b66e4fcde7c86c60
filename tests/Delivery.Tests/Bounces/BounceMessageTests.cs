using System.Text;
using MimeKit;
using Pipeline.Contracts.Events;
using Pipeline.Delivery.Bounces;

namespace Pipeline.Delivery.Tests.Bounces;

public class BounceMessageTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private static readonly byte[] Original = Encoding.ASCII.GetBytes(
        "From: Alice <alice@origin.test>\r\nTo: bob@example.test\r\nSubject: lunch\r\nMessage-ID: <m1@origin.test>\r\n\r\nsee you at noon\r\n");

    private static MessageReceived Received(string sender = "alice@origin.test", string? ret = null, string? envid = null,
        params Recipient[] recipients) =>
        new("1aBcDe-0123456789A-0000", "in-1", sender, recipients.Length > 0 ? recipients : [Recipient.Parse("bob@example.test")],
            Original.Length, "192.0.2.1", 40000, "client.test", "esmtp", "127.0.0.1", 25, Now.AddMinutes(-5), DsnReturn: ret, DsnEnvelopeId: envid);

    private static MimeMessage Parse(byte[] bytes) => MimeMessage.Load(new MemoryStream(bytes));

    private static BounceFailure Refused(string address = "bob@example.test") =>
        new(Recipient.Parse(address), $"SMTP error from remote mail server after RCPT TO:<{address}>: 550 5.1.1 <{address}>: no such user", "mx.example.test");

    [Fact]
    public void A_bounce_is_a_delivery_status_report_from_the_mailer_daemon()
    {
        var bytes = BounceMessage.Create(Received(envid: "env-42"), Original, [Refused()], "mta.test", 100 * 1024, Now);
        var bounce = Parse(bytes);

        Assert.Equal("Mailer-Daemon@mta.test", bounce.From.Mailboxes.Single().Address);
        Assert.Equal("alice@origin.test", bounce.To.Mailboxes.Single().Address);
        Assert.Equal("auto-replied", bounce.Headers["Auto-Submitted"]);
        Assert.Equal("bob@example.test", bounce.Headers["X-Failed-Recipients"]);
        var report = Assert.IsType<MultipartReport>(bounce.Body);
        Assert.Equal("delivery-status", report.ReportType);
        Assert.Contains("This is a permanent error", ((TextPart)report[0]).Text, StringComparison.Ordinal);
        Assert.Contains("550 5.1.1 <bob@example.test>: no such user", ((TextPart)report[0]).Text, StringComparison.Ordinal);

        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        Assert.Equal("dns; mta.test", status.StatusGroups[0]["Reporting-MTA"]);
        Assert.Equal("env-42", status.StatusGroups[0]["Original-Envelope-Id"]);
        var recipient = status.StatusGroups[1];
        Assert.Equal("rfc822; bob@example.test", recipient["Final-Recipient"]);
        Assert.Equal("failed", recipient["Action"]);
        Assert.Equal("5.1.1", recipient["Status"]);
        Assert.Equal("dns; mx.example.test", recipient["Remote-MTA"]);
        Assert.Equal("smtp; 550 5.1.1 <bob@example.test>: no such user", recipient["Diagnostic-Code"]);

        var returned = Assert.IsType<MessagePart>(report[2]);
        Assert.Equal("lunch", returned.Message!.Subject);
        Assert.Contains("see you at noon", returned.Message!.TextBody!, StringComparison.Ordinal);
        Assert.Contains("\r\n", Encoding.ASCII.GetString(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public void Ret_hdrs_and_a_large_message_return_the_headers_only()
    {
        foreach (var (received, limit) in new[] { (Received(ret: "HDRS"), 100 * 1024), (Received(), 10) })
        {
            var report = Assert.IsType<MultipartReport>(Parse(BounceMessage.Create(received, Original, [Refused()], "mta.test", limit, Now)).Body);
            var headers = Assert.IsType<TextRfc822Headers>(report[2]);
            Assert.Equal("lunch", headers.Message!.Subject);
            Assert.DoesNotContain("see you at noon", report.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Status_codes_come_from_the_reply_or_its_class()
    {
        var failures = new[]
        {
            new BounceFailure(Recipient.Parse("a@example.test"), "SMTP error from remote mail server after end of data: 554 rejected", "mx"),
            new BounceFailure(Recipient.Parse("b@example.test"), "all relevant MX records point to non-existent hosts", null),
            new BounceFailure(Recipient.Parse("c@example.test"), "retry timeout exceeded: Connection refused", null, Expired: true),
            new BounceFailure(Recipient.Parse("d@example.test"),
                "retry timeout exceeded: SMTP error from remote mail server after RCPT TO:<d@example.test>: 451 4.3.0 try later", "mx", Expired: true),
            new BounceFailure(Recipient.Parse("e@example.test"), "SMTP error from remote mail server after end of data: 550 5.7.1 no", "mx"),
        };
        var report = Assert.IsType<MultipartReport>(Parse(BounceMessage.Create(Received(), Original, failures, "mta.test", 1000, Now)).Body);
        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        // RFC 3464 §2.3.3 and RFC 3463: "Action: failed" carries a 5.x.x status, 5.4.7 when the retry time ran out.
        var recipients = status.StatusGroups.Skip(1).Where(g => g.Count > 0).ToList();
        Assert.Equal(["5.0.0", "5.0.0", "5.4.7", "5.4.7", "5.7.1"], recipients.Select(g => g["Status"]));
        Assert.All(recipients, g => Assert.Equal("failed", g["Action"]));
        Assert.Equal("smtp; 451 4.3.0 try later", status.StatusGroups[4]["Diagnostic-Code"]);
        Assert.Equal("smtp; 554 rejected", status.StatusGroups[1]["Diagnostic-Code"]);
        Assert.Null(status.StatusGroups[2]["Diagnostic-Code"]);
    }

    [Fact]
    public void Nothing_bounces_to_the_null_sender_nor_for_a_recipient_that_asked_for_no_notice()
    {
        Assert.Empty(BounceMessage.Reportable(Received(sender: ""), [Refused()]));

        var never = new BounceFailure(new Recipient("n@example.test", "n", "example.test", Notify: "NEVER"), "550 no", null);
        var delay = new BounceFailure(new Recipient("d@example.test", "d", "example.test", Notify: "DELAY,SUCCESS"), "550 no", null);
        var failure = new BounceFailure(new Recipient("f@example.test", "f", "example.test", Notify: "SUCCESS,FAILURE"), "550 no", null);
        Assert.Equal([failure, Refused()], BounceMessage.Reportable(Received(), [never, delay, failure, Refused()]));
    }
}
