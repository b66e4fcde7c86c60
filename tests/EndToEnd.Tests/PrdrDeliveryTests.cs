using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Delivery as a PRDR client (draft-hall-prdr-00, <c>Delivery:HostsTryPrdr</c>), with Exim as
/// the server accepting, refusing and deferring one recipient each.
/// </summary>
public sealed class prdr_delivery
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task each_of_three_recipients_gets_its_own_outcome(bool prdr)
    {
        await using var exim = await EximServer.StartAsync(prdr);
        var settings = new PipelineSettings();
        var extra = PipelineSettings.Route("example.test", exim.Port);
        extra["Delivery:RetryRules"] = "F,1h,1m";
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: extra));

        var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "sender@origin.test",
            "--to", "accept@example.test,reject@example.test,defer@example.test");
        Assert.True(swaks.MessageId is not null, swaks.Transcript);
        var id = swaks.MessageId;
        using var history = new HistoryClient(settings.HttpPort);
        await history.WaitForEventAsync(id, "msg:defer", TimeSpan.FromSeconds(30));
        var events = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value.EnumerateArray()
            .ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("data"));

        string Outcome(string name, string recipient)
        {
            var data = events[name];
            Assert.Equal(recipient, data.GetProperty("recipient").GetProperty("address").GetString());
            return data.GetProperty("eventData").GetString()!;
        }

        var stage = prdr ? "after the content" : "at RCPT";
        Assert.StartsWith("250", Outcome("msg:delivery", "accept@example.test"), StringComparison.Ordinal);
        Assert.Contains(prdr ? "550 refused after the content" : "550 no such user at RCPT",
            Outcome("msg:fail:delivery", "reject@example.test"), StringComparison.Ordinal);
        Assert.Contains($"not now {stage}", Outcome("msg:rcpt:defer", "defer@example.test"), StringComparison.Ordinal);
        var pending = events["msg:defer"].GetProperty("pending").EnumerateArray().Select(r => r.GetProperty("address").GetString());
        Assert.Equal(["defer@example.test"], pending);

        // One transaction: Exim received the message once, with PRDR when it was offered.
        var received = exim.MainLog.Split('\n').Where(l => l.Contains(" <= sender@origin.test ", StringComparison.Ordinal)).ToList();
        Assert.True(received.Count == 1, exim.MainLog);
        Assert.Equal(prdr, received[0].Contains(" PRDR", StringComparison.Ordinal));
        Assert.Contains("=> :blackhole: <accept@example.test>", exim.MainLog, StringComparison.Ordinal);
    }
}
