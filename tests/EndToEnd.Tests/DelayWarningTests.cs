using System.Text.Json;
using MimeKit;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Delay warnings (Exim's <c>delay_warning</c>, <c>Delivery:DelayWarning</c>): smtp-sink
/// answers every RCPT with a 4xx, so the messages stay deferred and are tried every second;
/// past the 2 s of <c>2s:1h</c> the sender of a message whose recipient allows it gets one RFC
/// 3464 report with <c>Action: delayed</c>, delivered to a second smtp-sink, and the message's
/// history records it once (<c>msg:delay-warning</c>): the attempts after it, whichever delivery
/// process makes them, send no other before the next time, an hour away. None goes to the null
/// sender, for <c>NOTIFY=NEVER</c> or <c>NOTIFY=FAILURE</c>, or for <c>Precedence: bulk</c> mail.
/// </summary>
public sealed class delay_warnings
{
    private static Dictionary<string, string> Extra(SmtpSink deferring, SmtpSink senders)
    {
        var extra = PipelineSettings.Route("example.test", deferring.Port);
        extra["Delivery:Routes:1:Domains:0"] = "origin.test";
        extra["Delivery:Routes:1:Hosts:0"] = $"127.0.0.1:{senders.Port}";
        extra["Delivery:RetryRules"] = "F,10m,1s";
        extra["Delivery:DelayWarning"] = "2s:1h";
        return extra;
    }

    // Sends one message through ingress with the RCPT's NOTIFY when given; its id.
    private static async Task<string> SendAsync(PipelineSettings settings, string from, string? notify = null, string headers = "")
    {
        await using var client = await RawSmtpClient.ConnectAsync(settings.SmtpPort);
        await client.ReadReplyAsync();
        await client.CommandAsync("EHLO client.test");
        Assert.StartsWith("250", await client.CommandAsync($"MAIL FROM:<{from}>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync($"RCPT TO:<a@example.test>{(notify is null ? "" : $" NOTIFY={notify}")}"), StringComparison.Ordinal);
        Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
        var reply = await client.CommandAsync(headers + new TestMessage().Content + ".");
        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        await client.CommandAsync("QUIT");
        return reply[(reply.IndexOf("id=", StringComparison.Ordinal) + 3)..].Trim();
    }

    private static async Task<List<JsonElement>> EventsAsync(HistoryClient history, string id, string name) =>
        (await history.GetJsonAsync($"/messages/{id}/events"))!.Value.EnumerateArray()
        .Where(e => e.GetProperty("name").GetString() == name).Select(e => e.GetProperty("data")).ToList();

    // Polls until the message has had at least `count` more attempts after its warning (each ends in msg:defer).
    private static async Task<IReadOnlyList<string>> WaitForAttemptsAfterWarningAsync(HistoryClient history, string id, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var names = await history.EventNamesAsync(id);
            var warning = names.ToList().IndexOf("msg:delay-warning");
            if (warning >= 0 && names.Skip(warning + 1).Count(n => n == "msg:defer") > count)
                return names;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{id} has [{string.Join(", ", names)}]");
            await Task.Delay(200);
        }
    }

    private static MimeMessage Load(string dumped) => MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(dumped)));

    [Fact]
    public async Task a_delayed_message_warns_its_sender_once_and_never_the_null_sender_nor_against_notify_nor_for_bulk_mail()
    {
        await using var deferring = await SmtpSink.StartAsync(0, "-r", "RCPT");
        await using var senders = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: Extra(deferring, senders)));
        using var history = new HistoryClient(settings.HttpPort);

        var quiet = new[]
        {
            await SendAsync(settings, ""),
            await SendAsync(settings, "never@origin.test", "NEVER"),
            await SendAsync(settings, "failure@origin.test", "FAILURE"),
            await SendAsync(settings, "bulk@origin.test", headers: "Precedence: bulk\r\n"),
        };
        var id = await SendAsync(settings, "sender@origin.test", "DELAY,FAILURE");

        // The warning, then more attempts: each a second later, all before the next time (1 h).
        var names = await WaitForAttemptsAfterWarningAsync(history, id, 2);
        Assert.Single(names, n => n == "msg:delay-warning");
        // It is recorded with the attempt that sent it, just before that attempt's msg:defer.
        Assert.Equal("msg:defer", names[names.ToList().IndexOf("msg:delay-warning") + 1]);
        var recorded = Assert.Single(await EventsAsync(history, id, "msg:delay-warning"));
        Assert.Equal(1, recorded.GetProperty("warnings").GetInt32());
        Assert.Equal("2 seconds", recorded.GetProperty("delay").GetString());
        Assert.Equal("a@example.test", Assert.Single(recorded.GetProperty("delayed").EnumerateArray()).GetProperty("address").GetString());
        var warningId = recorded.GetProperty("warningId").GetString()!;
        Assert.Equal(["msg:received", "msg:delivery", "msg:complete"], await history.WaitForEventAsync(warningId, "msg:complete", TimeSpan.FromSeconds(30)));

        var warning = Load(Assert.Single(await senders.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10))));
        Assert.Equal("sender@origin.test", warning.To.Mailboxes.Single().Address);
        Assert.Equal($"Warning: message {id} delayed 2 seconds", warning.Subject);
        var report = Assert.IsType<MultipartReport>(warning.Body);
        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        Assert.Equal("rfc822; a@example.test", status.StatusGroups[1]["Final-Recipient"]);
        Assert.Equal("delayed", status.StatusGroups[1]["Action"]);
        Assert.StartsWith("4.", status.StatusGroups[1]["Status"], StringComparison.Ordinal);
        Assert.StartsWith("smtp; 4", status.StatusGroups[1]["Diagnostic-Code"], StringComparison.Ordinal);
        // F,10m,1s: retrying stops ten minutes after arrival.
        var arrived = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value[0].GetProperty("data").GetProperty("receivedAt").GetDateTimeOffset();
        Assert.True(MimeKit.Utils.DateUtils.TryParse(status.StatusGroups[1]["Will-Retry-Until"]!, out var until));
        Assert.Equal(arrived.AddMinutes(10).ToUnixTimeSeconds(), until.ToUnixTimeSeconds());
        Assert.IsType<TextRfc822Headers>(report[2]);

        // The quiet ones were tried past 2 s as often, and none was warned of.
        foreach (var other in quiet)
        {
            var deferrals = await EventsAsync(history, other, "msg:defer");
            var otherArrived = (await history.GetJsonAsync($"/messages/{other}/events"))!.Value[0].GetProperty("data").GetProperty("receivedAt").GetDateTimeOffset();
            Assert.Contains(deferrals, d => d.GetProperty("nextAttemptAt").GetDateTimeOffset() > otherArrived.AddSeconds(3));
            Assert.Empty(await EventsAsync(history, other, "msg:delay-warning"));
        }

        Assert.Single(senders.Messages);
    }

    [Fact]
    public async Task two_delivery_processes_send_one_warning()
    {
        await using var deferring = await SmtpSink.StartAsync(0, "-r", "RCPT");
        await using var senders = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        var extra = Extra(deferring, senders);
        await using var first = await PipelineProcess.StartAsync(settings.For(extra: extra));
        await using var second = await PipelineProcess.StartAsync(settings.For("delivery", extra));
        using var history = new HistoryClient(settings.HttpPort);

        var id = await SendAsync(settings, "sender@origin.test");
        var names = await WaitForAttemptsAfterWarningAsync(history, id, 3);
        Assert.Single(names, n => n == "msg:delay-warning");
        var warning = Load(Assert.Single(await senders.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30))));
        Assert.Equal($"Warning: message {id} delayed 2 seconds", warning.Subject);
        // Both processes poll the queue and either may make an attempt: the history, not the
        // process, decides, and the sink got no second warning.
        Assert.Single(senders.Messages);
    }
}
