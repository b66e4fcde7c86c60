using System.Text;
using MimeKit;
using Pipeline.Contracts.Events;
using Pipeline.Delivery.Bounces;

namespace Pipeline.Delivery.Tests.Bounces;

public class SuccessMessageTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private static readonly byte[] Original = Encoding.ASCII.GetBytes(
        "From: Alice <alice@origin.test>\r\nTo: bob@example.test\r\nSubject: lunch\r\nMessage-ID: <m1@origin.test>\r\n\r\nsee you at noon\r\n");

    private static MessageReceived Received(string sender = "alice@origin.test") =>
        new("1aBcDe-0123456789A-0000", "in-1", sender, [Recipient.Parse("bob@example.test")], Original.Length, "192.0.2.1", 40000,
            "client.test", "esmtp", "127.0.0.1", 25, Now.AddMinutes(-1), DsnReturn: "FULL", DsnEnvelopeId: "env-9");

    private static DsnRecipient Relayed(string address, string? notify) =>
        new(new Recipient(address, address[..address.IndexOf('@')], "example.test", notify, $"rfc822;{address}"),
            "250 2.0.0 Ok: queued as 4ABC", "mx.example.test");

    [Fact]
    public void Only_a_notify_success_recipient_whose_server_lacked_dsn_is_reported()
    {
        var success = Relayed("a@example.test", "SUCCESS");
        var all = Relayed("b@example.test", "SUCCESS,FAILURE,DELAY");
        var passedOn = Relayed("c@example.test", "SUCCESS");
        var failureOnly = Relayed("d@example.test", "FAILURE");
        var never = Relayed("e@example.test", "NEVER");
        var none = Relayed("f@example.test", null);
        Assert.Equal([success, all], SuccessMessage.Reportable(Received(),
            [(success, false), (all, false), (passedOn, true), (failureOnly, false), (never, false), (none, false)]));
        Assert.Empty(SuccessMessage.Reportable(Received(sender: ""), [(success, false)]));
    }

    [Fact]
    public void A_relayed_notification_reports_each_recipient_with_action_relayed_and_the_servers_reply()
    {
        var recipients = new[] { Relayed("a@example.test", "SUCCESS"), Relayed("b@example.test", "SUCCESS,FAILURE") };
        var notice = MimeMessage.Load(new MemoryStream(SuccessMessage.Create(Received(), Original, recipients, "mta.test", Now)));

        Assert.Equal("Mailer-Daemon@mta.test", notice.From.Mailboxes.Single().Address);
        Assert.Equal("alice@origin.test", notice.To.Mailboxes.Single().Address);
        Assert.Equal("Delivery Status Notification", notice.Subject);
        var report = Assert.IsType<MultipartReport>(notice.Body);
        Assert.Equal("delivery-status", report.ReportType);
        var text = ((TextPart)report[0]).Text;
        Assert.Contains("<a@example.test> (relayed to non-DSN-aware mailer)", text, StringComparison.Ordinal);
        Assert.Contains("<b@example.test> (relayed to non-DSN-aware mailer)", text, StringComparison.Ordinal);

        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        Assert.Equal("env-9", status.StatusGroups[0]["Original-Envelope-Id"]);
        var groups = status.StatusGroups.Skip(1).Where(g => g.Count > 0).ToList();
        Assert.Equal(2, groups.Count);
        Assert.All(groups, g =>
        {
            Assert.Equal("relayed", g["Action"]);
            Assert.Equal("2.0.0", g["Status"]);
            Assert.Equal("dns; mx.example.test", g["Remote-MTA"]);
            Assert.Equal("smtp; 250 2.0.0 Ok: queued as 4ABC", g["Diagnostic-Code"]);
            Assert.Null(g["Will-Retry-Until"]);
        });
        Assert.Equal("rfc822;a@example.test", groups[0]["Original-Recipient"]);

        // RET=FULL asks for the content of failure reports only (RFC 3461 §4.3): the headers come back.
        var headers = Assert.IsType<TextRfc822Headers>(report[2]);
        Assert.Equal("lunch", headers.Message!.Subject);
        Assert.DoesNotContain("see you at noon", report.ToString(), StringComparison.Ordinal);
    }
}
