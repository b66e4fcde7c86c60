using System.Globalization;
using System.Net;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Health, metrics and traces with each role in its own process on RabbitMQ, as compose runs
/// them: every role answers <c>/health/live</c>, <c>/health/ready</c> and <c>/metrics</c> on its
/// management listener, its counters move with the mail, and the spans of one message from
/// ingress, policy and delivery, exported over OTLP to a receiver here, share one trace id.
/// </summary>
public sealed class health_metrics_and_traces
{
    private static readonly string[] Roles = ["events", "policy", "delivery", "ingress"];

    [Fact]
    public async Task every_role_is_ready_and_measured_and_one_trace_follows_a_message_across_processes()
    {
        await using var sink = await SmtpSink.StartAsync();
        using var collector = new OtlpReceiver();
        var settings = new PipelineSettings();
        var management = Roles.ToDictionary(r => r, _ => FreePort.Next());
        var processes = new Dictionary<string, PipelineProcess>();
        try
        {
            // The events process goes first: it applies the schema.
            foreach (var role in Roles)
            {
                var extra = PipelineSettings.RabbitMq();
                foreach (var (key, value) in PipelineSettings.Route("example.test", sink.Port))
                    extra[key] = value;
                extra["Management:Listen"] = $"http://127.0.0.1:{management[role]}";
                extra["Telemetry:OtlpEndpoint"] = collector.Endpoint;
                processes[role] = await PipelineProcess.StartAsync(settings.For(role, extra));
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            foreach (var role in Roles)
            {
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{management[role]}/health/live")).StatusCode);
                var ready = await WaitForReadyAsync(http, management[role]);
                Assert.True(ready.Status == HttpStatusCode.OK, $"{role}: {ready.Body}");
                Assert.Contains("\"postgresql\":{\"status\":\"Healthy\"", ready.Body, StringComparison.Ordinal);
                Assert.Matches("masstransit|bus", ready.Body.ToLowerInvariant());
                // The management listener serves nothing but health and metrics.
                Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"http://127.0.0.1:{management[role]}/messages/x")).StatusCode);
            }

            // The API's port answers health without a token, and no metrics.
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{settings.HttpPort}/health/ready")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"http://127.0.0.1:{settings.HttpPort}/metrics")).StatusCode);

            var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "sender@origin.test", "--to", "a@example.test");
            Assert.True(swaks.ExitCode == 0, swaks.Transcript);
            var id = swaks.MessageId!;
            using var history = new HistoryClient(settings.HttpPort);
            await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30));

            var ingress = await ScrapeAsync(http, management["ingress"]);
            Assert.True(Value(ingress, "pipeline_messages_received_total") >= 1, ingress);
            Assert.True(Value(ingress, "pipeline_smtp_session_duration_seconds_count") >= 1, ingress);
            Assert.True(Value(ingress, "pipeline_smtp_transaction_duration_seconds_count", "outcome=\"accepted\"") >= 1, ingress);
            Assert.Contains("pipeline_smtp_connections_in", ingress, StringComparison.Ordinal);
            var policy = await ScrapeAsync(http, management["policy"]);
            Assert.True(Value(policy, "pipeline_policy_check_duration_seconds_count", "stage=\"data\"") >= 1, policy);
            var delivery = await ScrapeAsync(http, management["delivery"]);
            Assert.True(Value(delivery, "pipeline_recipients_total", "outcome=\"delivered\"") >= 1, delivery);
            Assert.True(Value(delivery, "pipeline_delivery_attempt_duration_seconds_count", "result=\"delivered\"") >= 1, delivery);
            Assert.Contains("pipeline_smtp_connections_out", delivery, StringComparison.Ordinal);
            // Ingress runs elsewhere: nothing is handed off in memory, the message is read from the store.
            Assert.True(Value(delivery, "pipeline_delivery_message_reads_total", "source=\"store\"") >= 1, delivery);
            Assert.Equal(0, Value(delivery, "pipeline_delivery_message_reads_total", "source=\"memory\""));
            // Counted every 10 s: the first count comes at start.
            Assert.Contains("pipeline_queue_messages", delivery, StringComparison.Ordinal);
            Assert.Contains("pipeline_queue_oldest_age_seconds", delivery, StringComparison.Ordinal);
            Assert.Contains("# TYPE", await ScrapeAsync(http, management["events"]), StringComparison.Ordinal);

            // One trace: ingress's message span (with the id), policy's check of its content, delivery's attempt.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (true)
            {
                var spans = collector.Spans;
                var received = spans.FirstOrDefault(s => s.Name == "smtp message" && s.Attributes.GetValueOrDefault("pipeline.message_id") == id);
                var attempt = spans.FirstOrDefault(s => s.Name == "delivery attempt" && s.Attributes.GetValueOrDefault("pipeline.message_id") == id);
                var check = received is null ? null : spans.FirstOrDefault(s => s.Name == "policy check" && s.TraceId == received.TraceId
                    && s.Attributes.GetValueOrDefault("pipeline.stage") == "data");
                if (received is not null && attempt is not null && check is not null)
                {
                    Assert.Equal("pipeline-ingress", received.Service);
                    Assert.Equal("pipeline-policy", check.Service);
                    Assert.Equal("pipeline-delivery", attempt.Service);
                    Assert.Equal(received.TraceId, attempt.TraceId);
                    Assert.Equal("delivered", attempt.Attributes["pipeline.result"]);
                    Assert.Contains(spans, s => s.Name == "smtp session" && s.TraceId == received.TraceId);
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline,
                    $"the spans of {id} did not all arrive: " + string.Join("; ", spans.Select(s => $"{s.Service} {s.Name} {s.TraceId}")));
                await Task.Delay(250);
            }
        }
        finally
        {
            foreach (var process in processes.Values.Reverse())
                await process.DisposeAsync();
        }
    }

    [Fact]
    public async Task a_role_whose_broker_does_not_answer_is_live_but_not_ready()
    {
        var settings = new PipelineSettings();
        var port = FreePort.Next();
        var extra = PipelineSettings.RabbitMq();
        // Nothing listens there.
        extra["Bus:RabbitMQ:Port"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        extra["Management:Listen"] = $"http://127.0.0.1:{port}";
        await using var events = await PipelineProcess.StartAsync(settings.For("events", extra));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{port}/health/live")).StatusCode);
        var ready = await http.GetAsync($"http://127.0.0.1:{port}/health/ready");
        var body = await ready.Content.ReadAsStringAsync();
        Assert.True(ready.StatusCode == HttpStatusCode.ServiceUnavailable, body);
        Assert.Contains("\"postgresql\":{\"status\":\"Healthy\"", body, StringComparison.Ordinal);
        Assert.Contains("\"status\":\"Unhealthy\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_role_started_before_its_database_waits_for_it_and_then_starts()
    {
        // PostgreSQL appears on its port only some seconds after the process started.
        var store = new Npgsql.NpgsqlConnectionStringBuilder(TestEnvironment.Postgres);
        var port = FreePort.Next();
        var settings = new PipelineSettings();
        var config = settings.For("events");
        config["Store:ConnectionString"] = new Npgsql.NpgsqlConnectionStringBuilder(TestEnvironment.Postgres) { Port = port }.ConnectionString;
        var starting = PipelineProcess.StartAsync(config, TimeSpan.FromSeconds(90));
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.False(starting.IsCompleted, "the process started without its database");
        using var forwarder = new TcpForwarder(port, new IPEndPoint(IPAddress.Parse(store.Host!), store.Port));
        forwarder.Start();
        await using var events = await starting;
        Assert.Contains("PostgreSQL does not answer", events.Output, StringComparison.Ordinal);
        using var history = new HistoryClient(settings.HttpPort);
        Assert.Equal(0, await history.LastSequenceAsync());
    }

    private static async Task<(HttpStatusCode Status, string Body)> WaitForReadyAsync(HttpClient http, int port)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var response = await http.GetAsync($"http://127.0.0.1:{port}/health/ready");
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK || DateTime.UtcNow > deadline)
                return (response.StatusCode, body);
            await Task.Delay(250);
        }
    }

    private static async Task<string> ScrapeAsync(HttpClient http, int port)
    {
        var response = await http.GetAsync($"http://127.0.0.1:{port}/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        return await response.Content.ReadAsStringAsync();
    }

    private static double Value(string exposition, string name, params string[] labels) => MetricsText.Value(exposition, name, labels);
}
