using System.Globalization;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// <c>Delivery:RemoteMaxParallel=1</c> against real Exim servers: one connection at a time to
/// each server, and no attempt ever waits for a server's slot while it holds another, so
/// messages whose recipients need one server twice, or two servers in opposite orders, are
/// all delivered.
/// </summary>
public sealed class remote_max_parallel_of_one
{
    private static async Task<(PipelineSettings Settings, PipelineProcess Pipeline)> StartAsync(Dictionary<string, string> routes)
    {
        var settings = new PipelineSettings();
        routes["Delivery:RemoteMaxParallel"] = "1";
        routes["Delivery:RetryRules"] = "F,1h,10m";
        return (settings, await PipelineProcess.StartAsync(settings.For(extra: routes)));
    }

    private static async Task<string> SendAsync(PipelineSettings settings, string sender, params string[] recipients)
    {
        var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", sender, "--to", string.Join(',', recipients));
        return swaks.MessageId ?? throw new InvalidOperationException(swaks.Transcript);
    }

    private static async Task AssertDeliveredAsync(HistoryClient history, string id, int recipients, PipelineProcess pipeline)
    {
        IReadOnlyList<string> names;
        try
        {
            names = await history.WaitForAttemptAsync(id, TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; the pipeline said:\n{pipeline.Output}", e);
        }

        Assert.Equal(recipients, names.Count(n => n == "msg:delivery"));
        Assert.Equal("msg:complete", names[^1]);
    }

    private static string Port(ListeningServer server) => server.Port.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task a_message_for_one_server_over_two_interfaces_is_delivered()
    {
        await using var exim = await EximServer.StartAsync();
        var (settings, pipeline) = await StartAsync(new Dictionary<string, string>
        {
            ["Delivery:Routes:0:Domains:0"] = "a.test",
            ["Delivery:Routes:0:Hosts:0"] = $"127.0.0.1:{Port(exim)}",
            ["Delivery:Routes:0:Interface:0"] = "127.0.0.2",
            ["Delivery:Routes:1:Domains:0"] = "b.test",
            ["Delivery:Routes:1:Hosts:0"] = $"127.0.0.1:{Port(exim)}",
            ["Delivery:Routes:1:Interface:0"] = "127.0.0.3",
        });
        await using (pipeline)
        using (var history = new HistoryClient(settings.HttpPort))
            await AssertDeliveredAsync(history, await SendAsync(settings, "two-interfaces@origin.test", "x@a.test", "y@b.test"), 2, pipeline);

        var received = exim.MainLog.Split('\n').Where(l => l.Contains(" <= two-interfaces@origin.test ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, received.Count);
        Assert.Contains(received, l => l.Contains("[127.0.0.2]", StringComparison.Ordinal));
        Assert.Contains(received, l => l.Contains("[127.0.0.3]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_message_for_two_domains_whose_routes_share_a_server_is_delivered()
    {
        await using var exim = await EximServer.StartAsync();
        var (settings, pipeline) = await StartAsync(new Dictionary<string, string>
        {
            ["Delivery:Routes:0:Domains:0"] = "a.test",
            ["Delivery:Routes:0:Hosts:0"] = $"127.0.0.1:{Port(exim)}",
            // Another host list, whose first host is the same server: another route group.
            ["Delivery:Routes:1:Domains:0"] = "b.test",
            ["Delivery:Routes:1:Hosts:0"] = $"127.0.0.1:{Port(exim)}",
            ["Delivery:Routes:1:Hosts:1"] = $"127.0.0.1:{FreePort.Next()}",
        });
        await using (pipeline)
        using (var history = new HistoryClient(settings.HttpPort))
        {
            var id = await SendAsync(settings, "shared@origin.test", "x@a.test", "y@b.test");
            await AssertDeliveredAsync(history, id, 2, pipeline);
            var events = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value.EnumerateArray()
                .Where(e => e.GetProperty("name").GetString() == "msg:delivery").ToList();
            // Both transactions went down the one connection the attempt opened.
            Assert.Single(events.Select(e => e.GetProperty("data").GetProperty("connectionId").GetString()).Distinct());
        }

        Assert.Equal(2, exim.MainLog.Split('\n').Count(l => l.Contains(" <= shared@origin.test ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task two_messages_taking_two_servers_in_opposite_order_are_both_delivered()
    {
        // Each RCPT of "slow" waits 2 seconds at Exim, so that the two messages' attempts overlap:
        // each holds one server when it comes to the other.
        await using var first = await EximServer.StartAsync();
        await using var second = await EximServer.StartAsync();
        var (settings, pipeline) = await StartAsync(new Dictionary<string, string>
        {
            ["Delivery:Routes:0:Domains:0"] = "s1.test",
            ["Delivery:Routes:0:Hosts:0"] = $"127.0.0.1:{Port(first)}",
            ["Delivery:Routes:1:Domains:0"] = "s2.test",
            ["Delivery:Routes:1:Hosts:0"] = $"127.0.0.1:{Port(second)}",
        });
        await using (pipeline)
        using (var history = new HistoryClient(settings.HttpPort))
        {
            var ids = await Task.WhenAll(
                SendAsync(settings, "forward@origin.test", "slow@s1.test", "slow@s2.test"),
                SendAsync(settings, "backward@origin.test", "slow@s2.test", "slow@s1.test"));
            foreach (var id in ids)
                await AssertDeliveredAsync(history, id, 2, pipeline);
        }

        foreach (var exim in new[] { first, second })
        {
            Assert.Contains(" <= forward@origin.test ", exim.MainLog, StringComparison.Ordinal);
            Assert.Contains(" <= backward@origin.test ", exim.MainLog, StringComparison.Ordinal);
        }
    }
}
