using System.Text.Json;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Delivery through SOCKS5 proxies (<c>Delivery:SocksProxy</c>, RFC 1928 and RFC 1929), with
/// Debian's microsocks as the proxy and smtp-sink as the server behind it.
/// </summary>
public sealed class socks5_proxies
{
    private static Dictionary<string, string> Through(int sinkPort, params string[] proxies)
    {
        var extra = PipelineSettings.Route("example.test", sinkPort);
        extra["Delivery:RetryRules"] = "F,1h,1m";
        extra["Delivery:ConnectTimeout"] = "00:00:05";
        for (var i = 0; i < proxies.Length; i++)
            extra[$"Delivery:SocksProxy:{i}"] = proxies[i];
        return extra;
    }

    private static async Task<(string Id, HistoryClient History)> SendAsync(PipelineSettings settings)
    {
        var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "sender@origin.test", "--to", "a@example.test");
        Assert.True(swaks.MessageId is not null, swaks.Transcript);
        return (swaks.MessageId, new HistoryClient(settings.HttpPort));
    }

    private static async Task<List<JsonElement>> EventsAsync(HistoryClient history, string path) =>
        (await history.GetJsonAsync(path))!.Value.EnumerateArray().ToList();

    [Fact]
    public async Task a_dead_first_proxy_passes_the_turn_to_the_second_which_delivers()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var proxy = await Socks5Proxy.StartAsync();
        var dead = $"127.0.0.1 port={FreePort.Next()} tmo=2";
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: Through(sink.Port, dead, proxy.Specification())));

        var (id, history) = await SendAsync(settings);
        using (history)
        {
            var names = await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30));
            Assert.Equal(["msg:received", "msg:delivery", "msg:complete"], names);
            Assert.Contains($"id {id}", Assert.Single(sink.Messages), StringComparison.Ordinal);

            // The message's history names the server and the proxy; the connection's tcp:connect
            // shows the proxy, as Exim's does, and the server it reached through it.
            var delivery = (await EventsAsync(history, $"/messages/{id}/events"))[1].GetProperty("data");
            Assert.Equal(sink.Port, delivery.GetProperty("hostPort").GetInt32());
            Assert.Equal($"[127.0.0.1]:{proxy.Port}", delivery.GetProperty("proxy").GetString());
            var connect = (await EventsAsync(history, $"/connections/{delivery.GetProperty("connectionId").GetString()}/events"))[0];
            Assert.Equal("tcp:connect", connect.GetProperty("name").GetString());
            Assert.Equal(proxy.Port, connect.GetProperty("data").GetProperty("hostPort").GetInt32());
            Assert.Equal($"[127.0.0.1]:{sink.Port}", connect.GetProperty("data").GetProperty("socksTarget").GetString());
        }

        await pipeline.WaitForOutputAsync($"=> a@example.test R=route T=remote_smtp H=127.0.0.1 [127.0.0.1]:{sink.Port} PRX=[127.0.0.1]:{proxy.Port} C=");
    }

    [Fact]
    public async Task a_proxy_that_wants_a_username_and_password_gets_them()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var proxy = await Socks5Proxy.StartAsync("relay", "s3cret-Pa55");
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(
            extra: Through(sink.Port, proxy.Specification("auth=name name=relay pass=s3cret-Pa55"))));

        var (id, history) = await SendAsync(settings);
        using (history)
            Assert.Equal("msg:delivery", (await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30)))[1]);
        Assert.Single(sink.Messages);
        Assert.DoesNotContain("s3cret-Pa55", await pipeline.WaitForOutputAsync($"PRX=[127.0.0.1]:{proxy.Port}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_wrong_password_defers_the_message_and_nothing_is_sent()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var proxy = await Socks5Proxy.StartAsync("relay", "s3cret-Pa55");
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(
            extra: Through(sink.Port, proxy.Specification("auth=name name=relay pass=wrong-Pa55"))));

        var (id, history) = await SendAsync(settings);
        using (history)
        {
            await history.WaitForEventAsync(id, "msg:defer", TimeSpan.FromSeconds(30));
            var hostDefer = (await EventsAsync(history, $"/messages/{id}/events")).Single(e => e.GetProperty("name").GetString() == "msg:host:defer");
            // Any non-zero status is a refusal (RFC 1929); microsocks sends 2.
            Assert.Equal($"proxy [127.0.0.1]:{proxy.Port} refused the username and password (status 2)",
                hostDefer.GetProperty("data").GetProperty("eventData").GetString());
        }

        Assert.Empty(sink.Messages);
        Assert.DoesNotContain("wrong-Pa55", pipeline.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task with_every_proxy_down_the_message_waits_and_never_goes_direct()
    {
        await using var sink = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(
            extra: Through(sink.Port, $"127.0.0.1 port={FreePort.Next()}", $"127.0.0.1 port={FreePort.Next()}")));

        var (id, history) = await SendAsync(settings);
        using (history)
        {
            await history.WaitForEventAsync(id, "msg:defer", TimeSpan.FromSeconds(30));
            var hostDefer = (await EventsAsync(history, $"/messages/{id}/events")).Single(e => e.GetProperty("name").GetString() == "msg:host:defer");
            Assert.StartsWith("no SOCKS proxy could be reached: ", hostDefer.GetProperty("data").GetProperty("eventData").GetString(), StringComparison.Ordinal);
        }

        Assert.Empty(sink.Messages);
    }

    [Fact]
    public async Task the_proxy_of_higher_priority_is_used_whatever_its_place_in_the_list()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var listedFirst = await Socks5Proxy.StartAsync();
        await using var preferred = await Socks5Proxy.StartAsync();
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(
            extra: Through(sink.Port, listedFirst.Specification("pri=1"), preferred.Specification("pri=2"))));

        using var history = new HistoryClient(settings.HttpPort);
        for (var i = 0; i < 3; i++)
        {
            var (id, own) = await SendAsync(settings);
            own.Dispose();
            Assert.Equal("msg:delivery", (await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30)))[1]);
            var delivery = (await EventsAsync(history, $"/messages/{id}/events"))[1].GetProperty("data");
            Assert.Equal($"[127.0.0.1]:{preferred.Port}", delivery.GetProperty("proxy").GetString());
        }

        Assert.DoesNotContain($"PRX=[127.0.0.1]:{listedFirst.Port}", pipeline.Output, StringComparison.Ordinal);
    }
}
