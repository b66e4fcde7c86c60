using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// The hot hand-off: with ingress and delivery in one process, a message's first attempt takes
/// its <c>msg:received</c> and bytes from ingress in memory instead of reading them back; later
/// attempts read the store. (With the roles apart, every attempt reads the store:
/// <see cref="health_metrics_and_traces"/>.)
/// </summary>
public sealed class hot_hand_off
{
    [Fact]
    public async Task first_attempts_take_the_message_from_ingress_and_later_ones_read_the_store()
    {
        await using var sink = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        var management = FreePort.Next();
        var extra = PipelineSettings.Route("example.test", sink.Port);
        extra["Delivery:Routes:1:Domains:0"] = "down.test";
        extra["Delivery:Routes:1:Hosts:0"] = $"127.0.0.1:{FreePort.Next()}"; // nothing listens there
        extra["Delivery:RetryRules"] = "F,1h,1s";
        extra["Delivery:ConnectTimeout"] = "00:00:02";
        extra["Management:Listen"] = $"http://127.0.0.1:{management}";
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: extra));
        using var history = new HistoryClient(settings.HttpPort);

        const int Messages = 5;
        var ids = new List<string>();
        for (var i = 0; i < Messages; i++)
        {
            var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "s@origin.test", "--to", $"r{i}@example.test");
            ids.Add(swaks.MessageId ?? throw new InvalidOperationException(swaks.Transcript));
        }

        var down = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "s@origin.test", "--to", "x@down.test");
        var downId = down.MessageId ?? throw new InvalidOperationException(down.Transcript);

        foreach (var id in ids)
            Assert.Equal(["msg:received", "msg:delivery", "msg:complete"], await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30)));
        var dumps = await sink.WaitForMessagesAsync(Messages, TimeSpan.FromSeconds(10));
        foreach (var id in ids)
            Assert.Single(dumps, d => d.Contains($"id {id}", StringComparison.Ordinal));

        // The message for the server that is down: its first attempt from memory, the next from the store.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await history.EventNamesAsync(downId)).Count(n => n == "msg:defer") < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "no second attempt");
            await Task.Delay(200);
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{management}/metrics");
        Assert.Equal(Messages + 1, MetricsText.Value(metrics, "pipeline_delivery_message_reads_total", "source=\"memory\""));
        Assert.True(MetricsText.Value(metrics, "pipeline_delivery_message_reads_total", "source=\"store\"") >= 1, metrics);
    }
}
