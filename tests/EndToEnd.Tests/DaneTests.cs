using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Exim behind names in a DNSSEC-signed zone, each name with its own TLSA record, and one name
/// in an unsigned zone.
/// </summary>
public sealed class DaneFixture : EximBehindSignedZones
{
    protected override HashSet<string> Signed => ["mail.test"];

    protected override Dictionary<string, string[]> Zones(string tlsa, string spki, string anchor) => new()
    {
        ["mail.test"] =
        [
            "ee IN A 127.0.0.1", $"{tlsa}.ee IN TLSA 3 1 1 {spki}",
            "ta IN A 127.0.0.1", $"{tlsa}.ta IN TLSA 2 0 1 {anchor}",
            "bad IN A 127.0.0.1", $"{tlsa}.bad IN TLSA 3 1 1 {new string('0', 64)}",
        ],
        ["plain.test"] = ["mx IN A 127.0.0.1", $"{tlsa}.mx IN TLSA 3 1 1 {spki}"],
    };
}

/// <summary>
/// DANE (RFC 7672) against a real DNSSEC-signed zone behind a validating resolver: a matching
/// DANE-EE <c>3 1 1</c> or DANE-TA <c>2 0 1</c> record authenticates the server (<c>CV=dane</c>);
/// a record that matches nothing defers and nothing is sent in the clear; under
/// <c>HostsRequireDane</c> a name in an unsigned zone defers.
/// </summary>
public sealed class dane_delivery(DaneFixture fixture) : IClassFixture<DaneFixture>
{
    private async Task<(string Id, HistoryClient History, PipelineProcess Pipeline)> SendAsync(string host, string sender,
        params (string Key, string Value)[] options)
    {
        var settings = new PipelineSettings();
        var extra = PipelineSettings.Route("example.test", fixture.Exim.Port);
        extra["Delivery:Routes:0:Hosts:0"] = $"{host}:{fixture.Exim.Port}";
        extra["Dns:Servers:0"] = $"127.0.0.1:{fixture.Resolver.Port}";
        extra["Delivery:RetryRules"] = "F,1h,1m";
        foreach (var (key, value) in options)
            extra[$"Delivery:{key}"] = value;
        var pipeline = await PipelineProcess.StartAsync(settings.For(extra: extra));
        var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", sender, "--to", "a@example.test");
        Assert.True(swaks.MessageId is not null, swaks.Transcript);
        return (swaks.MessageId, new HistoryClient(settings.HttpPort), pipeline);
    }

    [Theory]
    [InlineData("ee.mail.test", 8)]
    [InlineData("ta.mail.test", 4)]
    public async Task a_matching_tlsa_record_authenticates_the_server(string host, int usage)
    {
        var sender = $"dane-{usage}@origin.test";
        var (id, history, pipeline) = await SendAsync(host, sender);
        await using (pipeline)
        using (history)
        {
            Assert.Equal("msg:delivery", (await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30)))[1]);
            var delivery = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value[1].GetProperty("data");
            Assert.Equal("dane", delivery.GetProperty("certificateVerified").GetString());
            Assert.True(delivery.GetProperty("dane").GetBoolean());
            Assert.True(delivery.GetProperty("dnssecAuthenticated").GetBoolean());
            Assert.Equal(usage, delivery.GetProperty("tlsaUsage").GetInt32());
            Assert.Matches($@"=> a@example\.test R=route T=remote_smtp H={host.Replace(".", @"\.", StringComparison.Ordinal)} \[127\.0\.0\.1\]:\d+ X=TLS1\.[23]:\w+ CV=dane C=",
                pipeline.Output);
        }

        Assert.Contains($" <= {sender} ", fixture.Exim.MainLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_tlsa_record_that_matches_nothing_defers_and_nothing_goes_in_the_clear()
    {
        var (id, history, pipeline) = await SendAsync("bad.mail.test", "dane-bad@origin.test");
        await using (pipeline)
        using (history)
        {
            await history.WaitForEventAsync(id, "msg:defer", TimeSpan.FromSeconds(30));
            var events = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value.EnumerateArray().ToList();
            var names = events.Select(e => e.GetProperty("name").GetString()).ToList();
            Assert.Equal(["msg:received", "dane:fail", "msg:host:defer", "msg:defer"], names);
            Assert.StartsWith("dane-verify: TLS session failure: DANE: no TLSA record matches",
                events[1].GetProperty("data").GetProperty("eventData").GetString(), StringComparison.Ordinal);
        }

        Assert.DoesNotContain(" <= dane-bad@origin.test ", fixture.Exim.MainLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_unsigned_zone_under_hosts_require_dane_defers()
    {
        var (id, history, pipeline) = await SendAsync("mx.plain.test", "dane-plain@origin.test", ("HostsRequireDane:0", "*"));
        await using (pipeline)
        using (history)
        {
            await history.WaitForEventAsync(id, "msg:defer", TimeSpan.FromSeconds(30));
            var events = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value.EnumerateArray().ToList();
            Assert.Equal("dane-required: the lookups of mx.plain.test were not DNSSEC-validated",
                events.Single(e => e.GetProperty("name").GetString() == "dane:fail").GetProperty("data").GetProperty("eventData").GetString());
        }

        Assert.DoesNotContain(" <= dane-plain@origin.test ", fixture.Exim.MainLog, StringComparison.Ordinal);
    }
}
