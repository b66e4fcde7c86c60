using System.Net;
using System.Net.Sockets;
using Npgsql;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// An attempt's outcome is appended expecting the message's stream unchanged since the attempt
/// read it, whatever Marten's append mode: when another writer moved the stream on meanwhile,
/// nothing of the attempt is recorded, so that two workers can never both record one.
/// </summary>
public sealed class stream_versions
{
    [Fact]
    public async Task an_attempt_whose_stream_moved_on_meanwhile_records_nothing()
    {
        // The route's first host accepts and never greets; while the attempt waits there, the
        // message's stream moves on (its version raised here, as another writer's append would).
        // The attempt then delivers to the sink, and its outcome must not be recorded.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        await using var sink = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        var extra = PipelineSettings.Route("example.test", ((IPEndPoint)silent.LocalEndpoint).Port, sink.Port);
        extra["Delivery:CommandTimeout"] = "00:00:03";
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: extra));

        var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "s@origin.test", "--to", "a@example.test");
        var id = swaks.MessageId ?? throw new InvalidOperationException(swaks.Transcript);
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            using var waiting = await silent.AcceptTcpClientAsync(cts.Token);
            Assert.Equal(1, await TestDatabase.ExecuteAsync($"update {settings.Schema}.mt_streams set version = version + 1 where id = $1", id));
            var output = await pipeline.WaitForOutputAsync($"Delivery attempt of {id} failed");
            Assert.Contains("EventStreamUnexpectedMaxEventIdException", output, StringComparison.Ordinal);
        }

        // The sink has the message (sent before the commit), and the stream none of the attempt's events.
        Assert.NotEmpty(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        await using var connection = new NpgsqlConnection(TestEnvironment.Postgres);
        await connection.OpenAsync();
        await using var types = new NpgsqlCommand($"select type from {settings.Schema}.mt_events where stream_id = $1 order by version", connection)
            { Parameters = { new() { Value = id } } };
        var names = new List<string>();
        await using (var reader = await types.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                names.Add(reader.GetString(0));
        }

        Assert.Equal(["msg:received"], names);
    }
}
