using System.Globalization;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Mail routed back to this MTA (Exim's "self", RFC 5321 §5.1), with MX records in real DNS
/// (NSD): the most preferred host being this one fails the recipients instead of looping; a
/// less preferred one is dropped with every host after it; a host named in
/// <c>Delivery:HostsTreatAsLocal</c> counts as this one whatever its address.
/// </summary>
public sealed class routing_to_itself
{
    private static async Task<(PipelineSettings Settings, PipelineProcess Pipeline)> StartAsync(DnsServer dns, Func<PipelineSettings, int> mxPort,
        params (string Key, string Value)[] extra)
    {
        var settings = new PipelineSettings();
        var values = new Dictionary<string, string>
        {
            ["Dns:Servers:0"] = $"127.0.0.1:{dns.Port}",
            ["Delivery:Port"] = mxPort(settings).ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in extra)
            values[key] = value;
        return (settings, await PipelineProcess.StartAsync(settings.For(extra: values)));
    }

    private static async Task<(string Id, IReadOnlyList<string> Names, System.Text.Json.JsonElement Events)> SendAsync(PipelineSettings settings,
        string recipient, string lastEvent)
    {
        var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "<>", "--to", recipient);
        var id = swaks.MessageId ?? throw new InvalidOperationException(swaks.Transcript);
        using var history = new HistoryClient(settings.HttpPort);
        var names = await history.WaitForEventAsync(id, lastEvent, TimeSpan.FromSeconds(30));
        return (id, names, (await history.GetJsonAsync($"/messages/{id}/events"))!.Value);
    }

    [Fact]
    public async Task a_lowest_mx_on_the_address_and_port_ingress_listens_on_fails_the_recipient()
    {
        await using var dns = await DnsServer.StartAsync("mx.test", "@ IN MX 10 self.mx.test.", "self IN A 127.0.0.1");
        var (settings, pipeline) = await StartAsync(dns, s => s.SmtpPort);
        await using (pipeline)
        {
            var (id, names, events) = await SendAsync(settings, "rcpt@mx.test", "msg:complete");
            Assert.Equal(["msg:received", "msg:fail:internal", "msg:complete"], names);
            var error = events[1].GetProperty("data").GetProperty("eventData").GetString();
            Assert.Equal($"mail would loop: self.mx.test [127.0.0.1]:{settings.SmtpPort} is where this MTA's ingress listens "
                + "(the lowest numbered MX record points to the local host)", error);
            await pipeline.WaitForOutputAsync($"{id} ** rcpt@mx.test R=dnslookup");
        }
    }

    [Fact]
    public async Task a_less_preferred_mx_that_is_this_mta_is_never_tried()
    {
        // The preferred MX has an address where nothing listens; the backup is this MTA, which
        // must not take the message back: it waits for the preferred host.
        await using var dns = await DnsServer.StartAsync("mx.test",
            "@ IN MX 5 primary.mx.test.", "@ IN MX 10 self.mx.test.", "primary IN A 127.0.0.2", "self IN A 127.0.0.1");
        var (settings, pipeline) = await StartAsync(dns, s => s.SmtpPort);
        await using (pipeline)
        {
            var (_, names, events) = await SendAsync(settings, "rcpt@mx.test", "msg:defer");
            Assert.Equal(["msg:received", "msg:host:defer", "msg:defer"], names);
            Assert.Equal("primary.mx.test", events[1].GetProperty("data").GetProperty("host").GetString());
        }
    }

    [Fact]
    public async Task a_host_treated_as_local_is_this_mta_whatever_its_address()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var dns = await DnsServer.StartAsync("mx.test", "@ IN MX 10 node2.cluster.mx.test.", "node2.cluster IN A 127.0.0.1");
        var (settings, pipeline) = await StartAsync(dns, _ => sink.Port, ("Delivery:HostsTreatAsLocal:0", "*.cluster.mx.test"));
        await using (pipeline)
        {
            var (_, names, events) = await SendAsync(settings, "rcpt@mx.test", "msg:complete");
            Assert.Equal(["msg:received", "msg:fail:internal", "msg:complete"], names);
            Assert.Contains("node2.cluster.mx.test is in Delivery:HostsTreatAsLocal", events[1].GetProperty("data").GetProperty("eventData").GetString(),
                StringComparison.Ordinal);
            Assert.Empty(sink.Messages);
        }
    }
}
