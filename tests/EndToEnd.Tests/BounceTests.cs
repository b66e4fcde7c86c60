using System.Text.RegularExpressions;
using MimeKit;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Bounces (RFC 3464 delivery status notifications): a recipient refused for good gets its
/// sender a report from the null sender, delivered like any message; a bounce never bounces.
/// </summary>
public sealed class bounce_reports
{
    [Fact]
    public async Task the_sender_of_a_refused_recipient_gets_a_report_and_a_report_never_bounces()
    {
        await using var refusing = await SmtpSink.StartAsync(0, "-f", "RCPT");
        await using var senders = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        var extra = PipelineSettings.Route("example.test", refusing.Port);
        extra["Delivery:Routes:1:Domains:0"] = "origin.test";
        extra["Delivery:Routes:1:Hosts:0"] = $"127.0.0.1:{senders.Port}";
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: extra));
        using var history = new HistoryClient(settings.HttpPort);

        var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "sender@origin.test", "--to", "a@example.test");
        Assert.True(swaks.MessageId is not null, swaks.Transcript);
        var id = swaks.MessageId;
        Assert.Equal(["msg:received", "msg:fail:delivery", "msg:complete"],
            await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30)));

        // The main log links the report to its message, as Exim's does: "<= <> R=<id>".
        var logged = Regex.Match(pipeline.Output, $@"(\S+) <= <> R={Regex.Escape(id)} U=pipeline P=local S=\d+ for sender@origin.test");
        Assert.True(logged.Success, pipeline.Output);
        var bounceId = logged.Groups[1].Value;
        Assert.Equal(["msg:received", "msg:delivery", "msg:complete"],
            await history.WaitForEventAsync(bounceId, "msg:complete", TimeSpan.FromSeconds(30)));
        var received = (await history.GetJsonAsync($"/messages/{bounceId}/events"))!.Value[0].GetProperty("data");
        Assert.Equal("", received.GetProperty("sender").GetString());
        Assert.Equal("sender@origin.test", received.GetProperty("recipients")[0].GetProperty("address").GetString());

        var dumped = Assert.Single(await senders.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        var report = MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(dumped)));
        Assert.Equal("a@example.test", report.Headers["X-Failed-Recipients"]);
        var body = Assert.IsType<MultipartReport>(report.Body);
        var status = Assert.IsType<MessageDeliveryStatus>(body[1]);
        Assert.Equal("rfc822; a@example.test", status.StatusGroups[1]["Final-Recipient"]);
        Assert.StartsWith("5.", status.StatusGroups[1]["Status"], StringComparison.Ordinal);
        Assert.StartsWith("smtp; 5", status.StatusGroups[1]["Diagnostic-Code"], StringComparison.Ordinal);
        Assert.Contains(id, Assert.IsType<MessagePart>(body[2]).Message!.Headers["Received"], StringComparison.Ordinal);

        // A message from the null sender fails the same way, and nothing reports it: a later
        // message that fails is reported, and by then no report of the first has come.
        var fromNull = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "<>", "--to", "a@example.test");
        Assert.True(fromNull.MessageId is not null, fromNull.Transcript);
        await history.WaitForEventAsync(fromNull.MessageId, "msg:complete", TimeSpan.FromSeconds(30));
        var marker = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "marker@origin.test", "--to", "a@example.test");
        Assert.True(marker.MessageId is not null, marker.Transcript);
        await history.WaitForEventAsync(marker.MessageId, "msg:complete", TimeSpan.FromSeconds(30));
        var reports = await senders.WaitForMessagesAsync(2, TimeSpan.FromSeconds(30));
        Assert.Equal(["marker@origin.test", "sender@origin.test"], reports
            .Select(r => MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(r))).To.Mailboxes.Single().Address).Order());
        Assert.Contains($"R={marker.MessageId}", pipeline.Output, StringComparison.Ordinal);
        Assert.DoesNotContain($"R={fromNull.MessageId}", pipeline.Output, StringComparison.Ordinal);
    }
}
