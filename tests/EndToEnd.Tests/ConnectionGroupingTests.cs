using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Connection grouping: messages for the same server sent from the same local interface share
/// one connection; messages bound to different interfaces (<c>Delivery:Routes:N:Interface</c>)
/// never do; <c>Delivery:RemoteMaxParallel</c> bounds the connections to one server.
/// </summary>
public sealed class connection_grouping
{
    private static async Task<List<string>> SendAsync(PipelineSettings settings, params string[] recipients)
    {
        // One SMTP session, one transaction per recipient: the messages are queued together.
        await using var client = await RawSmtpClient.ConnectAsync(settings.SmtpPort);
        await client.ReadReplyAsync();
        await client.CommandAsync("EHLO client.test");
        var ids = new List<string>();
        foreach (var recipient in recipients)
        {
            Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<s@origin.test>"), StringComparison.Ordinal);
            Assert.StartsWith("250", await client.CommandAsync($"RCPT TO:<{recipient}>"), StringComparison.Ordinal);
            Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
            var reply = await client.CommandAsync("Subject: grouping\r\n\r\nhello\r\n.");
            ids.Add(reply[(reply.IndexOf("id=", StringComparison.Ordinal) + 3)..].Trim());
        }

        await client.CommandAsync("QUIT");
        return ids;
    }

    private static async Task<(string ConnectionId, string SendingIp)> DeliveryAsync(HistoryClient history, string id)
    {
        Assert.Equal("msg:delivery", (await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30)))[1]);
        var delivery = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value[1].GetProperty("data");
        return (delivery.GetProperty("connectionId").GetString()!, delivery.GetProperty("sendingIpAddress").GetString()!);
    }

    [Fact]
    public async Task messages_from_one_interface_share_a_connection_and_other_interfaces_get_their_own()
    {
        await using var sink = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        var extra = new Dictionary<string, string>
        {
            ["Delivery:Routes:0:Domains:0"] = "a.test",
            ["Delivery:Routes:0:Hosts:0"] = $"127.0.0.1:{sink.Port}",
            ["Delivery:Routes:0:Interface:0"] = "127.0.0.2",
            ["Delivery:Routes:1:Domains:0"] = "b.test",
            ["Delivery:Routes:1:Hosts:0"] = $"127.0.0.1:{sink.Port}",
            ["Delivery:Routes:1:Interface:0"] = "127.0.0.3",
            ["Delivery:ConnectionIdleTimeout"] = "00:00:30",
        };
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: extra));
        using var history = new HistoryClient(settings.HttpPort);

        var first = await DeliveryAsync(history, (await SendAsync(settings, "x@a.test"))[0]);
        var second = await DeliveryAsync(history, (await SendAsync(settings, "y@a.test"))[0]);
        var other = await DeliveryAsync(history, (await SendAsync(settings, "z@b.test"))[0]);

        Assert.Equal(("127.0.0.2", "127.0.0.2", "127.0.0.3"), (first.SendingIp, second.SendingIp, other.SendingIp));
        Assert.Equal(first.ConnectionId, second.ConnectionId);
        Assert.NotEqual(first.ConnectionId, other.ConnectionId);
        var clients = (await sink.WaitForMessagesAsync(3, TimeSpan.FromSeconds(10)))
            .Select(m => m.Split('\n')[0]).Order().ToList();
        Assert.Equal(["X-Client-Addr: 127.0.0.2", "X-Client-Addr: 127.0.0.2", "X-Client-Addr: 127.0.0.3"], clients);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(20)]
    public async Task remote_max_parallel_bounds_the_connections_to_one_server(int limit)
    {
        // Each DATA waits a second at the sink, so that the four deliveries overlap.
        await using var sink = await SmtpSink.StartAsync(0, "-w", "1");
        var settings = new PipelineSettings();
        var extra = PipelineSettings.Route("example.test", sink.Port);
        extra["Delivery:RemoteMaxParallel"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        extra["Delivery:ConnectionIdleTimeout"] = "00:00:30";
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: extra));
        using var history = new HistoryClient(settings.HttpPort);

        var ids = await SendAsync(settings, "a@example.test", "b@example.test", "c@example.test", "d@example.test");
        var connections = new HashSet<string>();
        foreach (var id in ids)
            connections.Add((await DeliveryAsync(history, id)).ConnectionId);

        if (limit == 1)
            Assert.Single(connections);
        else
            Assert.True(connections.Count > 1, "without a bound the overlapping deliveries open several connections");
    }
}
