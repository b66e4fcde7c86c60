using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// The event action (<c>Delivery:EventAction</c>): an HTTP endpoint sees every delivery event
/// before the pipeline goes on; its answer vetoes <c>tcp:connect</c> and <c>smtp:connect</c>.
/// </summary>
public sealed class event_actions
{
    // The hook: records each event and answers with what the test says for its name.
    private sealed class Hook : IDisposable
    {
        private readonly HttpReceiver _receiver;

        public Hook(Func<string, string> answer)
        {
            Port = FreePort.Next();
            _receiver = new HttpReceiver(Port, async context =>
            {
                using var body = await JsonDocument.ParseAsync(context.Request.InputStream);
                var name = body.RootElement.GetProperty("name").GetString()!;
                Events.Enqueue((name, body.RootElement.GetProperty("data").Clone()));
                await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(answer(name)));
            });
        }

        public int Port { get; }

        public ConcurrentQueue<(string Name, JsonElement Data)> Events { get; } = new();

        public void Dispose() => _receiver.Dispose();
    }

    private static async Task<(string Id, HistoryClient History, PipelineProcess Pipeline)> SendAsync(SmtpSink sink, Hook hook)
    {
        var settings = new PipelineSettings();
        var extra = PipelineSettings.Route("example.test", sink.Port);
        extra["Delivery:EventAction"] = $"http://127.0.0.1:{hook.Port}/";
        extra["Delivery:RetryRules"] = "F,1h,1m";
        extra["Delivery:ConnectionIdleTimeout"] = "00:00:00";
        var pipeline = await PipelineProcess.StartAsync(settings.For(extra: extra));
        var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "s@origin.test", "--to", "a@example.test");
        Assert.True(swaks.MessageId is not null, swaks.Transcript);
        return (swaks.MessageId, new HistoryClient(settings.HttpPort), pipeline);
    }

    [Fact]
    public async Task the_hook_sees_every_event_in_order_and_an_empty_answer_vetoes_nothing()
    {
        await using var sink = await SmtpSink.StartAsync();
        using var hook = new Hook(_ => "");
        var (id, history, pipeline) = await SendAsync(sink, hook);
        string output;
        await using (pipeline)
        using (history)
        {
            await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30));
            for (var i = 0; i < 50 && !hook.Events.Any(e => e.Name == "tcp:close"); i++)
                await Task.Delay(100);
            output = pipeline.Output;
        }

        Assert.True(sink.Messages.Count == 1, output);
        // The idle connection's tcp:close comes when the pool closes it, in no order with the message's events.
        Assert.Equal(["tcp:connect", "smtp:connect", "smtp:ehlo", "msg:delivery", "msg:complete"],
            hook.Events.Select(e => e.Name).Where(n => n != "tcp:close"));
        Assert.Single(hook.Events, e => e.Name == "tcp:close");
        var connect = hook.Events.First().Data;
        Assert.Equal(sink.Port, connect.GetProperty("hostPort").GetInt32());
        Assert.Equal(id, connect.GetProperty("messageId").GetString());
        Assert.StartsWith("220", hook.Events.ElementAt(1).Data.GetProperty("eventData").GetString(), StringComparison.Ordinal);
        Assert.Contains("PIPELINING", hook.Events.ElementAt(2).Data.GetProperty("eventData").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tcp:connect", "the event action refused the connection at tcp:connect: not this host")]
    [InlineData("smtp:connect", "the event action closed the connection at smtp:connect: not this host")]
    public async Task an_answer_at_tcp_or_smtp_connect_defers_and_nothing_is_sent(string vetoed, string error)
    {
        await using var sink = await SmtpSink.StartAsync();
        using var hook = new Hook(name => name == vetoed ? "not this host" : "");
        var (id, history, pipeline) = await SendAsync(sink, hook);
        await using (pipeline)
        using (history)
        {
            await history.WaitForEventAsync(id, "msg:defer", TimeSpan.FromSeconds(30));
            var events = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value.EnumerateArray();
            Assert.Equal(error, events.Single(e => e.GetProperty("name").GetString() == "msg:host:defer")
                .GetProperty("data").GetProperty("eventData").GetString());
        }

        Assert.Empty(sink.Messages);
        Assert.Equal(vetoed == "tcp:connect" ? ["tcp:connect", "msg:host:defer", "msg:defer"] : ["tcp:connect", "smtp:connect", "tcp:close", "msg:host:defer", "msg:defer"],
            hook.Events.Select(e => e.Name));
    }
}
