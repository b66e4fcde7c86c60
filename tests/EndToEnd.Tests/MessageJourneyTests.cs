using System.Text.Json;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// swaks sends a message to ingress; delivery routes example.test to Postfix's smtp-sink; the
/// events API tells the story. Once through ./run.sh (every role in one process on the
/// in-memory bus, with the private PostgreSQL it starts), once with each role in its own
/// process on a real RabbitMQ.
/// </summary>
public sealed class a_message_travels_from_swaks_to_smtp_sink
{
    [Fact]
    public async Task through_run_sh_with_its_embedded_postgresql()
    {
        await using var sink = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        var data = Directory.CreateTempSubdirectory("pipeline-run-").FullName;
        File.SetUnixFileMode(data, (UnixFileMode)0x1ED); // 0755: PostgreSQL runs as its own user
        var environment = settings.WithoutStore(extra: PipelineSettings.Route("example.test", sink.Port));
        environment["PIPELINE_DATA"] = data;
        try
        {
            var pipeline = await PipelineProcess.StartRunScriptAsync(environment);
            await using (pipeline)
            {
                Assert.Contains($"data in {data}/postgres", pipeline.Output, StringComparison.Ordinal);
                await AssertJourneyAsync(settings, sink, () => pipeline.Output);
                await pipeline.StopAsync();
                Assert.Equal(0, pipeline.ExitCode);
            }

            Assert.False(File.Exists(Path.Combine(data, "postgres", "postmaster.pid")), "run.sh left its PostgreSQL running");
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task with_each_role_in_its_own_process_on_rabbitmq()
    {
        await using var sink = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        var extra = PipelineSettings.RabbitMq();
        foreach (var (key, value) in PipelineSettings.Route("example.test", sink.Port))
            extra[key] = value;

        // The events process goes first: it applies the schema, so that the others start on it.
        await using var events = await PipelineProcess.StartAsync(settings.For("events", extra));
        await using var policy = await PipelineProcess.StartAsync(settings.For("policy", extra));
        await using var delivery = await PipelineProcess.StartAsync(settings.For("delivery", extra));
        await using var ingress = await PipelineProcess.StartAsync(settings.For("ingress", extra));

        await AssertJourneyAsync(settings, sink, () => string.Join("\n", ingress.Output, policy.Output, delivery.Output, events.Output));
        await ingress.WaitForOutputAsync("<=");
        await delivery.WaitForOutputAsync("=>");
        Assert.DoesNotContain("=>", ingress.Output, StringComparison.Ordinal);
    }

    private static async Task AssertJourneyAsync(PipelineSettings settings, SmtpSink sink, Func<string> logs)
    {
        var message = new TestMessage();
        var swaks = await Swaks.SendAsync(settings.SmtpPort, message.Content,
            "--from", "sender@origin.test", "--to", "a@example.test");
        Assert.True(swaks.ExitCode == 0, swaks.Transcript + "\n" + logs());
        var id = swaks.MessageId;
        Assert.NotNull(id);

        // smtp-sink has finished writing its dump once it answered 250, which msg:delivery records.
        using var history = new HistoryClient(settings.HttpPort);
        var names = await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30));
        Assert.Equal(["msg:received", "msg:delivery", "msg:complete"], names);
        message.AssertDelivered(Assert.Single(sink.Messages), id);

        var events = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value.EnumerateArray().ToList();
        var sequences = events.Select(e => e.GetProperty("sequence").GetInt64()).ToList();
        Assert.Equal(sequences.Order(), sequences);
        var delivery = events[1].GetProperty("data");
        Assert.Equal("a@example.test", delivery.GetProperty("recipient").GetProperty("address").GetString());
        Assert.Equal(sink.Port, delivery.GetProperty("hostPort").GetInt32());
        Assert.Equal("route", delivery.GetProperty("routerName").GetString());
        Assert.False(delivery.GetProperty("dnssecAuthenticated").GetBoolean()); // an address literal
        Assert.StartsWith("250", delivery.GetProperty("eventData").GetString(), StringComparison.Ordinal);

        var summary = (await history.GetJsonAsync($"/messages/{id}"))!.Value;
        Assert.Equal("completed", summary.GetProperty("status").GetString());
        Assert.Equal("sender@origin.test", summary.GetProperty("sender").GetString());
        var recipient = Assert.Single(summary.GetProperty("recipients").EnumerateArray().ToList());
        Assert.Equal("Delivered", recipient.GetProperty("state").GetString());
        Assert.Null(await history.GetJsonAsync("/messages/no-such-message"));
    }
}
