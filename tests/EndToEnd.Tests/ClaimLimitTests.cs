using System.Net;
using System.Net.Sockets;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// A delivery process claims no more messages than it has free attempts
/// (<c>Delivery:MaxParallel</c>), whatever PostgreSQL's statistics say of the queue: after
/// autovacuum analyzed a drained queue, its planner thinks the queue empty, which once turned
/// the claim into a loop that claimed more rows than it asked for.
/// </summary>
public sealed class claim_limit
{
    [Fact]
    public async Task a_queue_analyzed_while_empty_gives_a_worker_no_more_claims_than_its_parallel_attempts()
    {
        // The route's host accepts connections and never greets: each attempt holds its claim.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var settings = new PipelineSettings();
        var extra = PipelineSettings.Route("example.test", ((IPEndPoint)silent.LocalEndpoint).Port);
        extra["Delivery:MaxParallel"] = "2";
        extra["Delivery:ConnectTimeout"] = "00:01:00";
        extra["Delivery:CommandTimeout"] = "00:01:00";
        await using var door = await PipelineProcess.StartAsync(settings.For("ingress,policy", extra));

        // A queue that held mail, was drained, and was analyzed then, as autovacuum does.
        var queue = $"{settings.Schema}.delivery_queue";
        await TestDatabase.ExecuteAsync(
            $"insert into {queue} (message_id, sender, recipients, received_at, next_attempt_at, attempts) " +
            "select 'drained-' || g, '', 1, now(), now() + interval '1 day', 0 from generate_series(1, 3000) g");
        await TestDatabase.ExecuteAsync($"delete from {queue}");
        await TestDatabase.ExecuteAsync($"analyze {queue}");

        const int Messages = 12;
        var (exitCode, output) = await SmtpSource.RunAsync(settings.SmtpPort, Messages, 4, "s@origin.test", "a@example.test");
        Assert.True(exitCode == 0, output);
        Assert.Equal(Messages, await TestDatabase.CountAsync($"select count(*) from {queue}"));

        // Due in the order of their ids, in which a claim reads the queue by its key.
        await TestDatabase.ExecuteAsync(
            $"update {queue} q set next_attempt_at = o.due from (select message_id, now() - interval '1 hour' + " +
            $"row_number() over (order by message_id) * interval '1 second' as due from {queue}) o where q.message_id = o.message_id");

        await using var delivery = await PipelineProcess.StartAsync(settings.For("delivery", extra));
        var claimed = $"select count(*) from {queue} where claimed_by is not null";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && await TestDatabase.CountAsync(claimed) < 2)
            await Task.Delay(100);

        // Ten polls of the queue later, still the two claims of the two attempts.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(2, await TestDatabase.CountAsync(claimed));
    }
}
