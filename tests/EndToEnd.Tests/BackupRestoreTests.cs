using System.Net;
using Npgsql;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// The event store backed up with pg_dump while the pipeline runs, restored with pg_restore
/// into an empty database, and the pipeline started on it, as docs/deployment.md tells: every
/// history comes back whole, a message still queued is delivered from the restored queue, and
/// new mail goes on from there.
/// </summary>
public sealed class backup_and_restore
{
    [Fact]
    public async Task a_pg_dump_restored_into_an_empty_database_brings_back_histories_and_the_queue()
    {
        await using var sink = await SmtpSink.StartAsync();
        var deadPort = FreePort.Next();
        var settings = new PipelineSettings();
        var dump = Path.Combine(Path.GetTempPath(), $"pipeline-{settings.Schema}.dump");
        var restored = $"restore_{settings.Schema}";
        var source = new NpgsqlConnectionStringBuilder(TestEnvironment.Postgres);
        var routes = new Dictionary<string, string>
        {
            ["Delivery:Routes:0:Domains:0"] = "example.test",
            ["Delivery:Routes:0:Hosts:0"] = $"127.0.0.1:{sink.Port}",
            ["Delivery:Routes:1:Domains:0"] = "down.test",
            ["Delivery:Routes:1:Hosts:0"] = $"127.0.0.1:{deadPort}",
            ["Delivery:RetryRules"] = "F,2d,1h",
            ["Delivery:ConnectTimeout"] = "00:00:02",
        };
        try
        {
            string delivered, queued;
            IReadOnlyList<string> deliveredHistory;
            await using (var before = await PipelineProcess.StartAsync(settings.For(extra: routes)))
            {
                using var history = new HistoryClient(settings.HttpPort);
                delivered = await SendAsync(settings, "a@example.test");
                queued = await SendAsync(settings, "x@down.test");
                deliveredHistory = await history.WaitForEventAsync(delivered, "msg:complete", TimeSpan.FromSeconds(30));
                await history.WaitForEventAsync(queued, "msg:defer", TimeSpan.FromSeconds(30));
                await history.WaitForProjectionsAsync(TimeSpan.FromSeconds(30));

                // The backup, taken while the pipeline runs: one schema holds everything.
                await RunAsync("pg_dump", [.. Server(source), "-d", source.Database!, "-n", settings.Schema, "-Fc", "-f", dump]);
            }

            await RunAsync("createdb", [.. Server(source), restored]);
            await RunAsync("pg_restore", [.. Server(source), "-d", restored, "--no-owner", dump]);

            var store = new NpgsqlConnectionStringBuilder(TestEnvironment.Postgres) { Database = restored }.ConnectionString;
            var after = new Dictionary<string, string>(routes) { ["Delivery:Routes:1:Hosts:0"] = $"127.0.0.1:{sink.Port}" };
            var onRestored = settings.For(extra: after);
            onRestored["Store:ConnectionString"] = store;
            await using (await PipelineProcess.StartAsync(onRestored))
            {
                using var history = new HistoryClient(settings.HttpPort);
                Assert.Equal(deliveredHistory, await history.EventNamesAsync(delivered));
                Assert.Equal("completed", (await history.GetJsonAsync($"/messages/{delivered}"))!.Value.GetProperty("status").GetString());

                // The queued message is in the restored queue; an operator's retry delivers it.
                var queue = (await history.GetJsonAsync("/queue"))!.Value;
                Assert.Equal([queued], queue.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
                var (status, body) = await history.PostJsonAsync($"/messages/{queued}/retry");
                Assert.True(status == HttpStatusCode.OK, body.ToString());
                var names = await history.WaitForEventAsync(queued, "msg:complete", TimeSpan.FromSeconds(30));
                Assert.Equal("msg:received", names[0]);
                Assert.Contains("msg:defer", names);
                Assert.Equal(["msg:delivery", "msg:complete"], names.TakeLast(2));

                // New mail goes on, after the restored log.
                var lastRestored = await history.LastSequenceAsync();
                var fresh = await SendAsync(settings, "b@example.test");
                await history.WaitForEventAsync(fresh, "msg:complete", TimeSpan.FromSeconds(30));
                var first = (await history.GetJsonAsync($"/messages/{fresh}/events"))!.Value[0].GetProperty("sequence").GetInt64();
                Assert.True(first > lastRestored, $"{fresh} starts at {first}, not after the log's end {lastRestored}");
                await sink.WaitForMessagesAsync(3, TimeSpan.FromSeconds(30));
            }
        }
        finally
        {
            File.Delete(dump);
            await Command.RunAsync("dropdb", [.. Server(source), "--if-exists", restored], "");
        }
    }

    private static string[] Server(NpgsqlConnectionStringBuilder connection) =>
        ["-h", connection.Host!, "-p", connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", connection.Username!];

    private static async Task RunAsync(string program, string[] arguments)
    {
        var (exitCode, output) = await Command.RunAsync(program, arguments, "");
        Assert.True(exitCode == 0, $"{program} {string.Join(' ', arguments)}: {output}");
    }

    private static async Task<string> SendAsync(PipelineSettings settings, string to)
    {
        var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "s@origin.test", "--to", to);
        return swaks.MessageId ?? throw new InvalidOperationException(swaks.Transcript);
    }
}
