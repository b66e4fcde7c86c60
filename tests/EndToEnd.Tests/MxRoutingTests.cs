using System.Globalization;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>Domains without a route go by their MX records, looked up in real DNS (NSD).</summary>
public sealed class routing_by_mx
{
    private static async Task<(PipelineSettings Settings, PipelineProcess Pipeline)> StartAsync(DnsServer dns, SmtpSink sink)
    {
        var settings = new PipelineSettings();
        var pipeline = await PipelineProcess.StartAsync(settings.For(extra: new Dictionary<string, string>
        {
            ["Dns:Servers:0"] = $"127.0.0.1:{dns.Port}",
            // MX hosts are reached on Delivery:Port: here the sink's.
            ["Delivery:Port"] = sink.Port.ToString(CultureInfo.InvariantCulture),
        }));
        return (settings, pipeline);
    }

    [Fact]
    public async Task a_domain_goes_to_its_most_preferred_reachable_mx_host()
    {
        await using var sink = await SmtpSink.StartAsync();
        // The preferred MX has an address where nothing listens: delivery defers it and goes on.
        await using var dns = await DnsServer.StartAsync("mx.test",
            "@ IN MX 5 dead.mx.test.", "@ IN MX 10 sink.mx.test.", "dead IN A 127.0.0.2", "sink IN A 127.0.0.1");
        var (settings, pipeline) = await StartAsync(dns, sink);
        await using (pipeline)
        {
            var message = new TestMessage();
            var swaks = await Swaks.SendAsync(settings.SmtpPort, message.Content, "--from", "s@origin.test", "--to", "rcpt@mx.test");
            var id = swaks.MessageId ?? throw new InvalidOperationException(swaks.Transcript);

            using var history = new HistoryClient(settings.HttpPort);
            var names = await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30));
            Assert.Equal(["msg:received", "msg:host:defer", "msg:delivery", "msg:complete"], names);
            var events = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value;
            Assert.Equal("dead.mx.test", events[1].GetProperty("data").GetProperty("host").GetString());
            var delivery = events[2].GetProperty("data");
            Assert.Equal("dnslookup", delivery.GetProperty("routerName").GetString());
            Assert.Equal("sink.mx.test", delivery.GetProperty("host").GetString());
            Assert.Equal("127.0.0.1", delivery.GetProperty("hostAddress").GetString());
            message.AssertDelivered(Assert.Single(sink.Messages), id);
        }
    }

    [Fact]
    public async Task a_domain_that_does_not_exist_fails_as_unrouteable()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var dns = await DnsServer.StartAsync("mx.test", "@ IN MX 10 sink.mx.test.", "sink IN A 127.0.0.1");
        var (settings, pipeline) = await StartAsync(dns, sink);
        await using (pipeline)
        {
            var swaks = await Swaks.SendAsync(settings.SmtpPort, null, "--from", "s@origin.test", "--to", "rcpt@nowhere.mx.test");
            var id = swaks.MessageId ?? throw new InvalidOperationException(swaks.Transcript);

            using var history = new HistoryClient(settings.HttpPort);
            var names = await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30));
            Assert.Equal(["msg:received", "msg:fail:internal", "msg:complete"], names);
            await pipeline.WaitForOutputAsync($"{id} ** rcpt@nowhere.mx.test R=dnslookup");
            Assert.Empty(sink.Messages);
        }
    }

    [Fact]
    public async Task a_domain_whose_lookup_fails_is_deferred_with_a_dns_fail_event()
    {
        await using var sink = await SmtpSink.StartAsync();
        // NSD refuses names of no zone it serves: a failed lookup, not a name that does not exist.
        await using var dns = await DnsServer.StartAsync("mx.test", "@ IN MX 10 sink.mx.test.", "sink IN A 127.0.0.1");
        var (settings, pipeline) = await StartAsync(dns, sink);
        await using (pipeline)
        {
            var swaks = await Swaks.SendAsync(settings.SmtpPort, null, "--from", "s@origin.test", "--to", "rcpt@unserved.test");
            var id = swaks.MessageId ?? throw new InvalidOperationException(swaks.Transcript);

            using var history = new HistoryClient(settings.HttpPort);
            Assert.Equal(["msg:received", "dns:fail", "msg:defer"], await history.WaitForEventAsync(id, "msg:defer", TimeSpan.FromSeconds(30)));
            var failure = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value[1].GetProperty("data").GetProperty("eventData").GetString();
            Assert.StartsWith("unserved.test MX: DNS lookup of MX for unserved.test failed", failure, StringComparison.Ordinal);
        }
    }
}
