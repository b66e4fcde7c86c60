using System.Net;
using System.Net.Sockets;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>What delivery does when the server is down, refuses, or the pipeline crashes.</summary>
public sealed class delivery_outcomes
{
    private static Dictionary<string, string> FastRetries(int sinkPort)
    {
        var extra = PipelineSettings.Route("example.test", sinkPort);
        extra["Delivery:RetryRules"] = "F,1h,1s";
        extra["Delivery:ConnectTimeout"] = "00:00:02";
        extra["Delivery:CommandTimeout"] = "00:00:03";
        extra["Delivery:ClaimLease"] = "00:00:10";
        return extra;
    }

    private static async Task<string> SendAsync(PipelineSettings settings, string recipient = "a@example.test")
    {
        var message = new TestMessage();
        var swaks = await Swaks.SendAsync(settings.SmtpPort, message.Content, "--from", "sender@origin.test", "--to", recipient);
        Assert.True(swaks.MessageId is not null, swaks.Transcript);
        return swaks.MessageId;
    }

    [Fact]
    public async Task a_recipient_deferred_while_the_server_is_down_is_delivered_when_it_comes_back()
    {
        var sinkPort = FreePort.Next(); // nothing listens there yet
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: FastRetries(sinkPort)));
        var id = await SendAsync(settings);

        using var history = new HistoryClient(settings.HttpPort);
        await history.WaitForEventAsync(id, "msg:defer", TimeSpan.FromSeconds(30));
        var summary = (await history.GetJsonAsync($"/messages/{id}"))!.Value;
        Assert.Equal("deferred", summary.GetProperty("status").GetString());

        await using var sink = await SmtpSink.StartAsync(sinkPort);
        var names = await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30));
        Assert.Equal("msg:received", names[0]);
        Assert.Equal(["msg:delivery", "msg:complete"], names.TakeLast(2));
        Assert.Contains("msg:host:defer", names);
        Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        await pipeline.WaitForOutputAsync($"{id} == a@example.test");
    }

    [Fact]
    public async Task a_recipient_refused_with_5xx_fails_at_once()
    {
        await using var sink = await SmtpSink.StartAsync(0, "-f", "RCPT");
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: FastRetries(sink.Port)));
        var id = await SendAsync(settings);

        using var history = new HistoryClient(settings.HttpPort);
        var names = await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30));
        Assert.Equal(["msg:received", "msg:fail:delivery", "msg:complete"], names);
        var recipient = (await history.GetJsonAsync($"/messages/{id}"))!.Value.GetProperty("recipients")[0];
        Assert.Equal("Failed", recipient.GetProperty("state").GetString());
        Assert.Contains("RCPT TO:<a@example.test>: 5", recipient.GetProperty("lastResult").GetString(), StringComparison.Ordinal);
        Assert.Empty(sink.Messages);
    }

    [Fact]
    public async Task a_message_accepted_before_a_crash_is_delivered_once_after_a_restart()
    {
        var sinkPort = FreePort.Next();
        var settings = new PipelineSettings();
        var extra = FastRetries(sinkPort);
        var first = await PipelineProcess.StartAsync(settings.For(extra: extra));
        string id;
        try
        {
            id = await SendAsync(settings);
        }
        finally
        {
            // SIGKILL right after the 250: no shutdown code runs, nothing is flushed.
            await first.KillAsync();
        }

        await using var sink = await SmtpSink.StartAsync(sinkPort);
        await using var second = await PipelineProcess.StartAsync(settings.For(extra: extra));
        using var history = new HistoryClient(settings.HttpPort);
        await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(60));

        // A later message is delivered: by then any second attempt of the first had its turn.
        var marker = await SendAsync(settings);
        await history.WaitForEventAsync(marker, "msg:complete", TimeSpan.FromSeconds(30));
        await sink.WaitForMessagesAsync(2, TimeSpan.FromSeconds(30));
        var names = await history.EventNamesAsync(id);
        Assert.Single(names, n => n == "msg:received");
        Assert.Single(names, n => n == "msg:delivery");
        Assert.Single(names, n => n == "msg:complete");
        Assert.Equal(2, sink.Messages.Count);
        Assert.Single(sink.Messages, m => m.Contains($"id {id}", StringComparison.Ordinal));
        Assert.Single(sink.Messages, m => m.Contains($"id {marker}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_message_claimed_by_a_worker_that_died_is_delivered_once_its_lease_runs_out()
    {
        // A server that accepts and never greets: the first process's attempt hangs there,
        // holding the message's claim, when it is killed.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var settings = new PipelineSettings();
        var extra = FastRetries(((IPEndPoint)silent.LocalEndpoint).Port);
        extra["Delivery:CommandTimeout"] = "00:00:07";
        var first = await PipelineProcess.StartAsync(settings.For(extra: extra));
        string id;
        try
        {
            id = await SendAsync(settings);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            using var attempt = await silent.AcceptTcpClientAsync(cts.Token);
            await first.KillAsync();
        }
        finally
        {
            await first.DisposeAsync();
        }

        await using var sink = await SmtpSink.StartAsync(0);
        var retry = FastRetries(sink.Port);
        await using var second = await PipelineProcess.StartAsync(settings.For(extra: retry));
        using var history = new HistoryClient(settings.HttpPort);
        var names = await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(60));
        Assert.Equal(["msg:received", "msg:delivery", "msg:complete"], names);
        var dumped = Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Contains($"id {id}", dumped, StringComparison.Ordinal);
        Assert.Contains("claimed by a worker whose lease ran out", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_server_that_is_down_is_not_tried_again_for_every_message_before_its_retry_time()
    {
        var port = FreePort.Next(); // nothing listens there
        var settings = new PipelineSettings();
        var extra = FastRetries(port);
        extra["Delivery:RetryRules"] = "F,1h,10m";
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: extra));
        using var history = new HistoryClient(settings.HttpPort);

        async Task<string> HostDeferAsync()
        {
            var id = await SendAsync(settings);
            await history.WaitForEventAsync(id, "msg:defer", TimeSpan.FromSeconds(30));
            var events = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value.EnumerateArray();
            return events.Single(e => e.GetProperty("name").GetString() == "msg:host:defer").GetProperty("data").GetProperty("eventData").GetString()!;
        }

        Assert.Equal("Connection refused", await HostDeferAsync());
        Assert.StartsWith($"retry time not reached for [127.0.0.1]:{port} (down since ", await HostDeferAsync(), StringComparison.Ordinal);
    }
}
