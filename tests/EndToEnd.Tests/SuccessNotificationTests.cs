using System.Text.RegularExpressions;
using MimeKit;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// <c>NOTIFY=SUCCESS</c> (RFC 3461 §5.2.2): a message relayed to a server that does not offer
/// DSN (smtp-sink <c>-N</c>) gets its sender a <c>relayed</c> report, delivered to a second
/// smtp-sink; one relayed to a server that offers DSN (smtp-sink as it is) carries the NOTIFY
/// and ORCPT parameters on, as the sink's envelope dump shows, and no report comes from here;
/// nor for a recipient that did not ask.
/// </summary>
public sealed class success_notifications
{
    private static async Task<string> SendAsync(PipelineSettings settings, string from, string rcpt)
    {
        await using var client = await RawSmtpClient.ConnectAsync(settings.SmtpPort);
        await client.ReadReplyAsync();
        await client.CommandAsync("EHLO client.test");
        Assert.StartsWith("250", await client.CommandAsync($"MAIL FROM:<{from}> ENVID=env-1"), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync($"RCPT TO:{rcpt}"), StringComparison.Ordinal);
        Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
        var reply = await client.CommandAsync(new TestMessage().Content + ".");
        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        await client.CommandAsync("QUIT");
        return reply[(reply.IndexOf("id=", StringComparison.Ordinal) + 3)..].Trim();
    }

    [Fact]
    public async Task a_server_without_dsn_makes_a_relayed_report_and_one_with_dsn_gets_the_parameters()
    {
        await using var withoutDsn = await SmtpSink.StartAsync(0, "-N");
        await using var withDsn = await SmtpSink.StartAsync();
        await using var senders = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        var extra = PipelineSettings.Route("nodsn.test", withoutDsn.Port);
        extra["Delivery:Routes:1:Domains:0"] = "dsn.test";
        extra["Delivery:Routes:1:Hosts:0"] = $"127.0.0.1:{withDsn.Port}";
        extra["Delivery:Routes:2:Domains:0"] = "origin.test";
        extra["Delivery:Routes:2:Hosts:0"] = $"127.0.0.1:{senders.Port}";
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: extra));
        using var history = new HistoryClient(settings.HttpPort);

        var passedOn = await SendAsync(settings, "passed@origin.test", "<a@dsn.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@dsn.test");
        var unasked = await SendAsync(settings, "unasked@origin.test", "<b@nodsn.test>");
        foreach (var id in new[] { passedOn, unasked })
            Assert.Equal(["msg:received", "msg:delivery", "msg:complete"], await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30)));
        Assert.Contains("X-Rcpt-Args: <a@dsn.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@dsn.test\n",
            Assert.Single(await withDsn.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10))), StringComparison.Ordinal);

        var relayed = await SendAsync(settings, "relayed@origin.test", "<c@nodsn.test> NOTIFY=SUCCESS ORCPT=rfc822;c@nodsn.test");
        await history.WaitForEventAsync(relayed, "msg:complete", TimeSpan.FromSeconds(30));
        var dumped = Assert.Single(await senders.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)));
        // smtp-sink without DSN got no DSN parameters.
        Assert.Contains("X-Rcpt-Args: <c@nodsn.test>\n", string.Join("", withoutDsn.Messages), StringComparison.Ordinal);

        var report = MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(dumped)));
        Assert.Equal("relayed@origin.test", report.To.Mailboxes.Single().Address);
        Assert.Equal("Delivery Status Notification", report.Subject);
        var body = Assert.IsType<MultipartReport>(report.Body);
        Assert.Contains("<c@nodsn.test> (relayed to non-DSN-aware mailer)", ((TextPart)body[0]).Text, StringComparison.Ordinal);
        var status = Assert.IsType<MessageDeliveryStatus>(body[1]);
        Assert.Equal("env-1", status.StatusGroups[0]["Original-Envelope-Id"]);
        Assert.Equal("rfc822;c@nodsn.test", status.StatusGroups[1]["Original-Recipient"]);
        Assert.Equal("rfc822; c@nodsn.test", status.StatusGroups[1]["Final-Recipient"]);
        Assert.Equal("relayed", status.StatusGroups[1]["Action"]);
        Assert.Equal("2.0.0", status.StatusGroups[1]["Status"]);
        Assert.StartsWith("smtp; 250", status.StatusGroups[1]["Diagnostic-Code"], StringComparison.Ordinal);
        Assert.Contains(relayed, Assert.IsType<TextRfc822Headers>(body[2]).Message!.Headers["Received"], StringComparison.Ordinal);

        // The main log ties the report to its message, and no other report was made.
        Assert.Contains($"<= <> R={relayed}", pipeline.Output, StringComparison.Ordinal);
        Assert.DoesNotContain($"R={passedOn}", pipeline.Output, StringComparison.Ordinal);
        Assert.DoesNotContain($"R={unasked}", pipeline.Output, StringComparison.Ordinal);
        Assert.Single(senders.Messages);
    }

    [Fact]
    public async Task exim_offering_dsn_reports_the_success_itself_and_exim_without_dsn_makes_a_relayed_report_here()
    {
        await using var withDsn = await EximServer.StartAsync(dsn: true);
        await using var withoutDsn = await EximServer.StartAsync();
        await using var senders = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        var extra = PipelineSettings.Route("dsn.test", withDsn.Port);
        extra["Delivery:Routes:1:Domains:0"] = "nodsn.test";
        extra["Delivery:Routes:1:Hosts:0"] = $"127.0.0.1:{withoutDsn.Port}";
        extra["Delivery:Routes:2:Domains:0"] = "origin.test";
        extra["Delivery:Routes:2:Hosts:0"] = $"127.0.0.1:{senders.Port}";
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: extra));
        using var history = new HistoryClient(settings.HttpPort);

        // Exim took NOTIFY=SUCCESS with the message: once it delivered (here: discarded) it, it
        // sent its own success report, from <> and linked to its id of the message (R=).
        var passedOn = await SendAsync(settings, "passed@origin.test", "<a@dsn.test> NOTIFY=SUCCESS ORCPT=rfc822;a@dsn.test");
        await history.WaitForEventAsync(passedOn, "msg:complete", TimeSpan.FromSeconds(30));
        var eximId = await WaitForLogAsync(withDsn, new Regex(@"(\S+) <= passed@origin\.test "));
        await WaitForLogAsync(withDsn, new Regex($@"<= <> R={Regex.Escape(eximId)} "));

        var relayed = await SendAsync(settings, "relayed@origin.test", "<b@nodsn.test> NOTIFY=SUCCESS");
        await history.WaitForEventAsync(relayed, "msg:complete", TimeSpan.FromSeconds(30));
        var report = MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(
            Assert.Single(await senders.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30))))));
        Assert.Equal("relayed@origin.test", report.To.Mailboxes.Single().Address);
        var status = Assert.IsType<MessageDeliveryStatus>(Assert.IsType<MultipartReport>(report.Body)[1]);
        Assert.Equal("relayed", status.StatusGroups[1]["Action"]);
        Assert.Equal("dns; 127.0.0.1", status.StatusGroups[1]["Remote-MTA"]);
        Assert.DoesNotContain($"R={passedOn}", pipeline.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("<= <> R=", withoutDsn.MainLog, StringComparison.Ordinal);
    }

    // Polls Exim's main log until the pattern matches; its first group, or the whole match.
    private static async Task<string> WaitForLogAsync(EximServer exim, Regex pattern)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (pattern.Match(exim.MainLog) is { Success: true } match)
                return match.Groups.Count > 1 ? match.Groups[1].Value : match.Value;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Exim's log has no {pattern}:\n{exim.MainLog}");
            await Task.Delay(200);
        }
    }
}
