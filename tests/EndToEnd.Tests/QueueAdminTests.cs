using System.Net;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Queue administration through the HTTP API: the queue as <c>GET /queue</c> lists it, an
/// operator's retry (Exim's <c>-M</c>: now, past the host's retry time) and cancel (Exim's
/// <c>-Mg</c>: the recipients fail, the sender gets a bounce).
/// </summary>
public sealed class queue_administration
{
    [Fact]
    public async Task a_deferred_message_is_listed_retried_now_and_cancelled_with_a_bounce()
    {
        await using var sink = await SmtpSink.StartAsync();
        var deadPort = FreePort.Next();
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: new Dictionary<string, string>
        {
            ["Delivery:Routes:0:Domains:0"] = "origin.test",
            ["Delivery:Routes:0:Hosts:0"] = $"127.0.0.1:{sink.Port}",
            ["Delivery:Routes:1:Domains:0"] = "down.test",
            ["Delivery:Routes:1:Hosts:0"] = $"127.0.0.1:{deadPort}",
            // The next attempt, and the host's next try, an hour away.
            ["Delivery:RetryRules"] = "F,2d,1h",
            ["Delivery:ConnectTimeout"] = "00:00:02",
        }));
        using var history = new HistoryClient(settings.HttpPort);
        var message = new TestMessage();
        var swaks = await Swaks.SendAsync(settings.SmtpPort, message.Content, "--from", "s@origin.test", "--to", "x@down.test,y@origin.test");
        var id = swaks.MessageId ?? throw new InvalidOperationException(swaks.Transcript);
        await history.WaitForEventAsync(id, "msg:defer", TimeSpan.FromSeconds(30));

        // The queue is delivery's own table, written with msg:defer: current at once, with no
        // projection to wait for. y@origin.test was delivered, x@down.test waits.
        var queue = (await history.GetJsonAsync("/queue"))!.Value;
        Assert.Equal(1, queue.GetProperty("count").GetInt32());
        var entry = queue.GetProperty("messages")[0];
        Assert.Equal(id, entry.GetProperty("id").GetString());
        Assert.Equal("s@origin.test", entry.GetProperty("sender").GetString());
        Assert.Equal(2, entry.GetProperty("recipients").GetInt32());
        Assert.True(entry.GetProperty("size").GetInt64() > message.Content.Length, entry.ToString());
        Assert.Equal(1, entry.GetProperty("attempts").GetInt32());
        Assert.Equal(["x@down.test"], entry.GetProperty("pending").EnumerateArray().Select(p => p.GetString()));
        Assert.Contains("Connection refused", entry.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.True(entry.GetProperty("nextAttemptAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(50));

        // Retry: a second attempt at once, which tries the host although its retry time is an hour away.
        var (status, body) = await history.PostJsonAsync($"/messages/{id}/retry");
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.Equal("Done", body.GetProperty("outcome").GetString());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await history.EventNamesAsync(id)).Count(n => n == "msg:defer") < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "no second attempt after the retry");
            await Task.Delay(200);
        }

        var hostDefers = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value.EnumerateArray()
            .Where(e => e.GetProperty("name").GetString() == "msg:host:defer").Select(e => e.GetProperty("data").GetProperty("eventData").GetString()!).ToList();
        Assert.Equal(2, hostDefers.Count);
        Assert.DoesNotContain("retry time not reached", hostDefers[1], StringComparison.Ordinal);

        // Cancel: the recipient fails, the message completes, and the sender's bounce says why.
        (status, body) = await history.PostJsonAsync($"/messages/{id}/cancel");
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        var names = await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30));
        Assert.Equal(["msg:cancel", "msg:fail:internal", "msg:complete"], names.TakeLast(3));
        var summary = (await history.GetJsonAsync($"/messages/{id}"))!.Value;
        Assert.Equal("completed", summary.GetProperty("status").GetString());
        Assert.Equal("Failed", summary.GetProperty("recipients")[0].GetProperty("state").GetString());
        Assert.Equal("cancelled by administrator", summary.GetProperty("recipients")[0].GetProperty("lastResult").GetString());
        var bounce = Assert.Single(await sink.WaitForMessagesAsync(2, TimeSpan.FromSeconds(30)),
            m => m.Contains("X-Rcpt-Args: <s@origin.test>", StringComparison.Ordinal));
        Assert.Contains("cancelled by administrator", bounce, StringComparison.Ordinal);
        Assert.Contains($"{id} ** x@down.test", pipeline.Output, StringComparison.Ordinal);

        // Nothing is left to retry or cancel, and the queue is empty.
        Assert.Equal(HttpStatusCode.NotFound, (await history.PostJsonAsync($"/messages/{id}/cancel")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await history.PostJsonAsync($"/messages/{id}/retry")).Status);
        Assert.Equal(0, (await history.GetJsonAsync("/queue"))!.Value.GetProperty("count").GetInt32());
    }
}
