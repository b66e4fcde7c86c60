using System.Text;
using MimeKit;
using MimeKit.Utils;
using Pipeline.Contracts.Events;
using Pipeline.Delivery.Bounces;

namespace Pipeline.Delivery.Tests.Bounces;

public class DelayWarningMessageTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private static byte[] Original(string extraHeaders = "") => Encoding.ASCII.GetBytes(
        "From: Alice <alice@origin.test>\r\nTo: bob@example.test\r\nSubject: lunch\r\nDate: Sun, 29 Nov 2026 09:00:00 +0000\r\n"
        + extraHeaders + "Message-ID: <m1@origin.test>\r\n\r\nsee you at noon\r\n");

    private static MessageReceived Received(string sender = "alice@origin.test", string? envid = null) =>
        new("1aBcDe-0123456789A-0000", "in-1", sender, [Recipient.Parse("bob@example.test"), Recipient.Parse("carol@example.test")],
            Original().Length, "192.0.2.1", 40000, "client.test", "esmtp", "127.0.0.1", 25, Now.AddHours(-4), DsnReturn: "FULL",
            DsnEnvelopeId: envid);

    private static DsnRecipient Delayed(string address, string? notify = null, string reason = "Connection refused", string? host = null) =>
        new(new Recipient(address, address[..address.IndexOf('@')], "example.test", notify, notify is null ? null : $"rfc822;{address}"),
            reason, host, Now.AddDays(3));

    private static MimeMessage Parse(byte[] bytes) => MimeMessage.Load(new MemoryStream(bytes));

    [Fact]
    public void A_warning_is_a_delivery_status_report_of_the_delayed_recipients_with_exims_wording()
    {
        var delayed = new[]
        {
            Delayed("bob@example.test", "DELAY", "SMTP error from remote mail server after RCPT TO:<bob@example.test>: 451 4.3.0 try later",
                "mx.example.test"),
            Delayed("carol@example.test"),
        };
        var warning = Parse(DelayWarningMessage.Create(Received(envid: "env-7"), Original(), delayed, TimeSpan.FromHours(4), "mta.test", Now));

        Assert.Equal("Mailer-Daemon@mta.test", warning.From.Mailboxes.Single().Address);
        Assert.Equal("alice@origin.test", warning.To.Mailboxes.Single().Address);
        Assert.Equal("Warning: message 1aBcDe-0123456789A-0000 delayed 4 hours", warning.Subject);
        Assert.Equal("auto-generated", warning.Headers["Auto-Submitted"]);
        var report = Assert.IsType<MultipartReport>(warning.Body);
        Assert.Equal("delivery-status", report.ReportType);
        var text = ((TextPart)report[0]).Text;
        Assert.Contains("has not yet been delivered to one or more of its\nrecipients after more than 4 hours on the queue on mta.test.", text.ReplaceLineEndings("\n"),
            StringComparison.Ordinal);
        Assert.Contains("The subject of the message is: lunch", text, StringComparison.Ordinal);
        Assert.Contains("The addresses to which the message has not yet been delivered are:", text, StringComparison.Ordinal);
        Assert.Contains("    Delay reason: Connection refused", text, StringComparison.Ordinal);
        Assert.Contains("No action is required on your part.", text, StringComparison.Ordinal);

        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        Assert.Equal("dns; mta.test", status.StatusGroups[0]["Reporting-MTA"]);
        Assert.Equal("env-7", status.StatusGroups[0]["Original-Envelope-Id"]);
        var recipients = status.StatusGroups.Skip(1).Where(g => g.Count > 0).ToList();
        Assert.Equal(["rfc822; bob@example.test", "rfc822; carol@example.test"], recipients.Select(g => g["Final-Recipient"]));
        Assert.All(recipients, g => Assert.Equal("delayed", g["Action"]));
        // RFC 3464 §2.3.3: a delay is a transient status, 4.x.x; the server's own detail when it gave one.
        Assert.Equal(["4.3.0", "4.0.0"], recipients.Select(g => g["Status"]));
        Assert.Equal("rfc822;bob@example.test", recipients[0]["Original-Recipient"]);
        Assert.Equal("dns; mx.example.test", recipients[0]["Remote-MTA"]);
        Assert.Equal("smtp; 451 4.3.0 try later", recipients[0]["Diagnostic-Code"]);
        Assert.Null(recipients[1]["Remote-MTA"]);
        Assert.True(DateUtils.TryParse(recipients[1]["Will-Retry-Until"]!, out var until));
        Assert.Equal(Now.AddDays(3), until);

        // Only the headers come back, whatever RET asked: RET=FULL is for failures (RFC 3461 §4.3).
        var headers = Assert.IsType<TextRfc822Headers>(report[2]);
        Assert.Equal("lunch", headers.Message!.Subject);
        Assert.DoesNotContain("see you at noon", report.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void One_delayed_recipient_is_named_in_the_singular()
    {
        var warning = Parse(DelayWarningMessage.Create(Received(), Original(), [Delayed("bob@example.test")], TimeSpan.FromSeconds(2), "mta.test", Now));
        var text = Assert.IsType<TextPart>(Assert.IsType<MultipartReport>(warning.Body)[0]).Text;
        Assert.Contains("The address to which the message has not yet been delivered is:", text, StringComparison.Ordinal);
        Assert.Contains("more than 2 seconds on the queue", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_recipients_whose_notify_asks_for_delays_are_warned_of()
    {
        var none = Delayed("a@example.test");
        var delay = Delayed("b@example.test", "DELAY");
        var both = Delayed("c@example.test", "SUCCESS,DELAY");
        var never = Delayed("d@example.test", "NEVER");
        var failure = Delayed("e@example.test", "FAILURE");
        var success = Delayed("f@example.test", "SUCCESS");
        Assert.Equal([none, delay, both], DelayWarningMessage.Reportable(Received(), Original(), [none, delay, both, never, failure, success]));
    }

    [Fact]
    public void No_warning_goes_to_the_null_sender()
    {
        Assert.Empty(DelayWarningMessage.Reportable(Received(sender: ""), Original(), [Delayed("a@example.test", "DELAY")]));
    }

    // Exim's default delay_warning_condition.
    [Theory]
    [InlineData("Precedence: bulk\r\n")]
    [InlineData("Precedence: List\r\n")]
    [InlineData("Precedence: junk\r\n")]
    [InlineData("List-Id: <lunch.origin.test>\r\n")]
    [InlineData("List-Post: <mailto:lunch@origin.test>\r\n")]
    [InlineData("List-Subscribe: <mailto:lunch-join@origin.test>\r\n")]
    [InlineData("Auto-Submitted: auto-replied\r\n")]
    [InlineData("Auto-Submitted: auto-generated\r\n")]
    public void No_warning_for_list_bulk_or_automatic_mail(string header)
    {
        Assert.True(DelayWarningMessage.IsBulk(Original(header)));
        Assert.Empty(DelayWarningMessage.Reportable(Received(), Original(header), [Delayed("a@example.test")]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Precedence: first-class\r\n")]
    [InlineData("Auto-Submitted: no\r\n")]
    public void Personal_mail_is_warned_of(string header) => Assert.False(DelayWarningMessage.IsBulk(Original(header)));
}
