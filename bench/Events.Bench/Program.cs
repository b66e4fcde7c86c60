using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Events;
using Pipeline.Delivery.Queue;
using Pipeline.Events.Projections;
using Pipeline.Infrastructure.Store;

// The events role at scale, in two steps that bench/events.sh runs around a pipeline process:
//   seed STORE SCHEMA MESSAGES IDS-FILE   appends the history of MESSAGES messages as ingress
//                                         and delivery do, and reports the append rate;
//   query URL SAMPLES IDS-FILE            waits for the projections, then times history reads
//                                         and recipient searches, and reports p50 and p99.
var culture = CultureInfo.InvariantCulture;
return args switch
{
    ["seed", var store, var schema, var messages, var idsFile] => await Seed.RunAsync(store, schema, int.Parse(messages, culture), idsFile),
    ["query", var url, var samples, var idsFile] => await Query.RunAsync(new Uri(url), int.Parse(samples, culture), idsFile),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Events.Bench seed STORE SCHEMA MESSAGES IDS-FILE | query URL SAMPLES IDS-FILE");
    return 2;
}

/// <summary>Appends message histories the way the pipeline does: ingress's commit, then delivery's.</summary>
internal static class Seed
{
    private const int Batch = 100;     // messages per transaction, as group commit gathers them
    private const int Writers = 4;     // transactions in flight at once
    private const int Recipients = 50_000;
    private const int MessagesPerConnection = 10;

    public static async Task<int> RunAsync(string store, string schema, int messages, string idsFile)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Store:ConnectionString"] = store,
            ["Store:Schema"] = schema,
        });
        // What an ingress or delivery process registers: the projections run in the events role, later.
        builder.Services.AddPipelineStore(builder.Configuration, [new QueueSchema(), new ProjectionSchema()]);
        using var host = builder.Build();
        await host.StartAsync();
        var documents = host.Services.GetRequiredService<IDocumentStore>();

        var ids = new string[messages];
        var events = 0L;
        var clock = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(async _ =>
        {
            while (true)
            {
                var first = Interlocked.Add(ref next, Batch) - Batch + 1;
                if (first >= messages)
                    return;
                var count = Math.Min(Batch, messages - first);
                Interlocked.Add(ref events, await AppendBatchAsync(documents, ids, first, count));
            }
        }));
        clock.Stop();
        await File.WriteAllLinesAsync(idsFile, ids);
        Console.WriteLine($"appended {events} events ({messages} messages) in {clock.Elapsed.TotalSeconds:0.0} s: " +
                          $"{events / clock.Elapsed.TotalSeconds:0} events/s, {messages / clock.Elapsed.TotalSeconds:0} messages/s");
        await host.StopAsync();
        return 0;
    }

    // Ingress's commit (msg:received, with the connection's events) then delivery's (msg:delivery, msg:complete).
    private static async Task<long> AppendBatchAsync(IDocumentStore documents, string[] ids, int first, int count)
    {
        var now = DateTimeOffset.UtcNow;
        long appended = 0;
        await using (var session = documents.LightweightSession())
        {
            for (var i = first; i < first + count; i++)
            {
                var id = MessageIds.New(now);
                ids[i] = id;
                var connection = $"conn-bench-{i / MessagesPerConnection}";
                var client = $"10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}";
                var recipient = Recipient.Parse($"user{i % Recipients}@domain{i % 100}.test");
                session.Events.StartStream(id, new MessageReceived(id, connection, $"sender{i % 1000}@origin.test", [recipient], 2048,
                    client, 40000, "client.test", "esmtp", "127.0.0.1", 25, now));
                appended++;
                if (i % MessagesPerConnection == 0)
                {
                    session.Events.Append(connection, new TcpConnected(connection, Direction.Inbound, client, 40000, "127.0.0.1", 25),
                        new SmtpConnected(connection, Direction.Inbound, "220 pipeline.test ESMTP", client, 40000),
                        new TcpClosed(connection, Direction.Inbound, client, 40000, "QUIT", MessagesPerConnection));
                    appended += 3;
                }
            }

            await session.SaveChangesAsync();
        }

        await using (var session = documents.LightweightSession())
        {
            for (var i = first; i < first + count; i++)
            {
                var recipient = Recipient.Parse($"user{i % Recipients}@domain{i % 100}.test");
                session.Events.Append(ids[i], 3,
                    new RecipientDelivered(ids[i], recipient, "250 2.0.0 Ok: queued", "mx.example.test", "192.0.2.25", 25, "127.0.0.1", 50000,
                        "route", "remote_smtp", "out-bench", 1),
                    new MessageCompleted(ids[i], 1, 0));
                appended += 2;
            }

            await session.SaveChangesAsync();
        }

        return appended;
    }
}

/// <summary>Times reads against the events role's HTTP API once its projections have caught up.</summary>
internal static class Query
{
    public static async Task<int> RunAsync(Uri url, int samples, string idsFile)
    {
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromMinutes(2) };
        var ids = await File.ReadAllLinesAsync(idsFile);

        // The projections, built by the daemon from the whole log.
        var clock = Stopwatch.StartNew();
        var last = JsonDocument.Parse(await http.GetStringAsync("/events/last")).RootElement.GetProperty("sequence").GetInt64();
        while (true)
        {
            var status = JsonDocument.Parse(await http.GetStringAsync("/projections")).RootElement;
            var positions = status.GetProperty("projections").EnumerateArray()
                .ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("sequence").GetInt64());
            if (positions.Where(p => p.Key != "connection-summary").All(p => p.Value >= last))
                break;
            if (clock.Elapsed > TimeSpan.FromMinutes(30))
            {
                Console.Error.WriteLine($"projections still at {string.Join(", ", positions)} of {last}");
                return 1;
            }

            await Task.Delay(1000);
        }

        Console.WriteLine($"projections caught up with {last} events in {clock.Elapsed.TotalSeconds:0} s: {last / clock.Elapsed.TotalSeconds:0} events/s");

        var random = new Random(7);
        await Time(http, "GET /messages/{id}/events", samples, () => $"/messages/{ids[random.Next(ids.Length)]}/events", "\"msg:complete\"");
        await Time(http, "GET /messages/{id}", samples, () => $"/messages/{ids[random.Next(ids.Length)]}", "\"completed\"");
        await Time(http, "GET /messages?recipient=", samples,
            () => $"/messages?recipient=user{random.Next(50_000)}%40domain{random.Next(100)}.test", "\"messages\"");
        await Time(http, "GET /messages?recipient= (found)", samples,
            () => { var i = random.Next(ids.Length); return $"/messages?recipient=user{i % 50_000}%40domain{i % 100}.test"; }, "\"completed\"");
        return 0;
    }

    // Warms up, then times SAMPLES requests one after another; prints p50, p99 and the maximum.
    private static async Task Time(HttpClient http, string what, int samples, Func<string> path, string expect)
    {
        for (var i = 0; i < 50; i++)
            await http.GetStringAsync(path());
        var times = new List<double>(samples);
        for (var i = 0; i < samples; i++)
        {
            var clock = Stopwatch.StartNew();
            var body = await http.GetStringAsync(path());
            times.Add(clock.Elapsed.TotalMilliseconds);
            if (!body.Contains(expect, StringComparison.Ordinal))
                throw new InvalidOperationException($"{what}: unexpected answer {body[..Math.Min(body.Length, 300)]}");
        }

        times.Sort();
        Console.WriteLine($"{what,-34} p50 {times[samples / 2],7:0.00} ms   p99 {times[samples * 99 / 100],7:0.00} ms   max {times[^1],7:0.00} ms");
    }
}
