using System.Diagnostics;
using System.Text.RegularExpressions;
using Pipeline.EndToEnd.Tests.Fixtures;
using Xunit.Abstractions;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// compose.yaml for real: the pipeline's image (scripts/image.sh) runs each role in its own
/// containers on RabbitMQ and PostgreSQL, under podman through docker-compose, with the test's
/// override (tests/compose/compose.test.yaml) routing sink.test to Postfix's smtp-sink.
/// swaks sends to the published SMTP port, the published HTTP API (with the token) tells
/// what happened, and delivery scaled to three replicas shares the queue.
/// </summary>
public sealed partial class the_compose_stack(ITestOutputHelper output)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    [Fact]
    public async Task delivers_through_its_containers_and_shares_the_queue_between_delivery_replicas()
    {
        await using var stack = await ComposeProject.UpAsync();
        Log("images built, stack up");
        try
        {
            await RunAsync(stack);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"{e.Message}\n--- the last lines of each container's log (docker-compose logs) ---\n{await stack.LogsAsync(tail: 40)}", e);
        }
    }

    // Where the time goes, in the test's output.
    private void Log(string step) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:F1} s  {step}");

    private async Task RunAsync(ComposeProject stack)
    {
        // The published API's /health: the events role is up. (The containers' own health
        // checks ask the management listener's /health/ready.)
        await stack.WaitForApiAsync(TimeSpan.FromMinutes(2));
        Log("HTTP API answers");

        // The first message goes through once policy has joined the bus; until then ingress
        // answers 421 (no verdict in time) and it is sent again. Relayed: the host's client
        // arrives from the network's gateway, inside RELAY_FROM.
        var first = await SendUntilAcceptedAsync(stack, "x@sink.test", TimeSpan.FromMinutes(2));
        var history = await stack.WaitForCompleteAsync(first, TimeSpan.FromSeconds(60));
        Assert.Equal(["msg:received", "msg:delivery", "msg:complete"], history.Select(e => e.GetProperty("name").GetString()));
        Assert.Equal("smtp-sink", history[1].GetProperty("data").GetProperty("host").GetString());
        Log("first message delivered");

        // The compose.yaml health checks of the servers hold on these stand-ins too, and every
        // role's (curl of its management listener's /health/ready) comes to hold in every
        // replica: a replica whose bus connection is being retried after the broker's start is
        // unhealthy until it is back, as compose's own retries allow.
        foreach (var service in new[] { "postgres", "rabbitmq", "redis", "events", "ingress", "policy", "delivery" })
        {
            var containers = await stack.ContainersAsync(service);
            Assert.NotEmpty(containers);
            foreach (var container in containers)
                Assert.True(await stack.BecomesHealthyAsync(container, TimeSpan.FromSeconds(60)), $"the health check of {container} failed for 60 s");
        }

        Log("every container healthy");

        await stack.ComposeAsync(TimeSpan.FromMinutes(2), "up", "-d", "--scale", "delivery=3", "--no-recreate");
        var replicas = await stack.ContainersAsync("delivery");
        Assert.Equal(3, replicas.Count);
        Log("delivery scaled to 3");

        var ids = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            var swaks = await Swaks.SendAsync(stack.SmtpPort, null, "--from", "sender@origin.test", "--to", $"r{i}@sink.test");
            ids.Add(swaks.MessageId ?? throw new InvalidOperationException($"message {i} was not accepted:\n{swaks.Transcript}"));
        }

        // Who delivered each message: the local address of its msg:delivery, which is the
        // address of the delivery container that sent it.
        var senders = new List<string>();
        foreach (var id in ids)
        {
            var events = await stack.WaitForCompleteAsync(id, TimeSpan.FromSeconds(60));
            var delivery = Assert.Single(events, e => e.GetProperty("name").GetString() == "msg:delivery");
            senders.Add(delivery.GetProperty("data").GetProperty("sendingIpAddress").GetString()!);
        }

        // The main log of each replica shows its own deliveries (Exim's `=>` lines), written
        // by the console logger's own thread, so possibly a moment after the history.
        var delivered = await DeliveriesByReplicaAsync(stack, ids, TimeSpan.FromSeconds(10));
        var spread = string.Join(", ", delivered.Select(d => $"{d.Key}: {d.Value}"));
        Log($"{ids.Count} messages delivered ({spread})");
        Assert.True(delivered.Values.Sum() == ids.Count, $"the replicas' logs show {delivered.Values.Sum()} of {ids.Count} deliveries ({spread})");
        Assert.True(delivered.Count >= 2, $"one replica delivered everything ({spread})");
        Assert.True(senders.Distinct().Count() >= 2, $"every msg:delivery came from {senders[0]}");

        // smtp-sink saw each message from the address msg:delivery names.
        var dumps = await stack.ComposeAsync(TimeSpan.FromMinutes(1), "exec", "-T", "smtp-sink", "sh", "-c", "cat /spool/*");
        var clients = ClientAddress().Matches(dumps).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(ids.Count + 1, clients.Count);
        Assert.Subset(clients.ToHashSet(), senders.ToHashSet());
        Log("checked");
    }

    private static async Task<Dictionary<string, int>> DeliveriesByReplicaAsync(ComposeProject stack, List<string> ids, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var delivered = DeliveryLine().Matches(await stack.LogsAsync("delivery"))
                .Where(m => ids.Contains(m.Groups["id"].Value))
                .GroupBy(m => m.Groups["container"].Value)
                .ToDictionary(g => g.Key, g => g.Count());
            if (delivered.Values.Sum() >= ids.Count || DateTime.UtcNow > deadline)
                return delivered;
            await Task.Delay(500);
        }
    }

    private static async Task<string> SendUntilAcceptedAsync(ComposeProject stack, string recipient, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var swaks = await Swaks.SendAsync(stack.SmtpPort, null, "--from", "sender@origin.test", "--to", recipient);
            if (swaks.MessageId is { } id)
                return id;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"ingress accepted nothing in {timeout}; the last try:\n{swaks.Transcript}");
            await Task.Delay(1000);
        }
    }

    // docker-compose logs heads each line with the container's service and number: `delivery_2  | ...`.
    [GeneratedRegex(@"^(?<container>\S+)\s+\|.* (?<id>\S+) => ", RegexOptions.Multiline)]
    private static partial Regex DeliveryLine();

    [GeneratedRegex(@"^X-Client-Addr: (\S+)", RegexOptions.Multiline)]
    private static partial Regex ClientAddress();
}
