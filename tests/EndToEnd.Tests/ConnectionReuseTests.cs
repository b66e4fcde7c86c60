using System.Globalization;
using System.Text.Json;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Exim with the test PKI's certificate, reached under several names of a DNSSEC-signed zone
/// (NSD behind a validating Unbound), all on the same address and port: <c>mx.lab.test</c>
/// with a matching <c>3 1 1</c> TLSA record, <c>mx-bad.lab.test</c> with a validated TLSA
/// record that matches nothing, <c>mx-ocsp.lab.test</c> and <c>mx2.lab.test</c> without TLSA.
/// Domains: <c>lab.test</c> (MX mx), <c>bad.lab.test</c> (MX mx-bad), <c>ocsp.lab.test</c>
/// (MX mx-ocsp), <c>two.lab.test</c> (MX 10 mx and MX 10 mx2).
/// </summary>
public sealed class LabFixture : EximBehindSignedZones
{
    protected override HashSet<string> Signed => ["lab.test"];

    protected override Dictionary<string, string[]> Zones(string tlsa, string spki, string anchor) => new()
    {
        ["lab.test"] =
        [
            "@ IN MX 10 mx.lab.test.", "mx IN A 127.0.0.1", $"{tlsa}.mx IN TLSA 3 1 1 {spki}",
            "bad IN MX 10 mx-bad.lab.test.", "mx-bad IN A 127.0.0.1", $"{tlsa}.mx-bad IN TLSA 3 1 1 {new string('0', 64)}",
            "ocsp IN MX 10 mx-ocsp.lab.test.", "mx-ocsp IN A 127.0.0.1",
            "two IN MX 10 mx.lab.test.", "two IN MX 10 mx2.lab.test.", "mx2 IN A 127.0.0.1",
        ],
    };

    /// <summary>A pipeline routing by MX through the validating resolver, keeping idle connections 30 seconds.</summary>
    public async Task<(PipelineSettings Settings, PipelineProcess Pipeline)> StartPipelineAsync(params (string Key, string Value)[] options)
    {
        var settings = new PipelineSettings();
        var extra = new Dictionary<string, string>
        {
            ["Dns:Servers:0"] = $"127.0.0.1:{Resolver.Port}",
            ["Delivery:Port"] = Exim.Port.ToString(CultureInfo.InvariantCulture),
            ["Delivery:ConnectionIdleTimeout"] = "00:00:30",
            ["Delivery:RetryRules"] = "F,1h,10m",
        };
        foreach (var (key, value) in options)
            extra[$"Delivery:{key}"] = value;
        return (settings, await PipelineProcess.StartAsync(settings.For(extra: extra)));
    }
}

/// <summary>
/// A connection left open for one host name is reused only for a host that would have secured
/// it the same way (RFC 7672 §2.2; Exim's continued connections carry the host name): never
/// for another name on the same address whose TLSA records or TLS requirements differ.
/// </summary>
public sealed class connection_reuse(LabFixture fixture) : IClassFixture<LabFixture>
{
    private static async Task<string> SendAsync(PipelineSettings settings, string sender, params string[] recipients)
    {
        var arguments = new List<string> { "--from", sender, "--to", string.Join(',', recipients) };
        var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, [.. arguments]);
        return swaks.MessageId ?? throw new InvalidOperationException(swaks.Transcript);
    }

    private static async Task<List<JsonElement>> EventsAsync(HistoryClient history, string id) =>
        (await history.GetJsonAsync($"/messages/{id}/events"))!.Value.EnumerateArray().ToList();

    private async Task<string> DeliveredWithDaneAsync(HistoryClient history, PipelineSettings settings, string sender)
    {
        var id = await SendAsync(settings, sender, "d@lab.test");
        Assert.Equal(["msg:received", "msg:delivery", "msg:complete"], await history.WaitForAttemptAsync(id, TimeSpan.FromSeconds(30)));
        var delivery = (await EventsAsync(history, id))[1].GetProperty("data");
        Assert.Equal("mx.lab.test", delivery.GetProperty("host").GetString());
        Assert.Equal("dane", delivery.GetProperty("certificateVerified").GetString());
        Assert.Contains($" <= {sender} ", fixture.Exim.MainLog, StringComparison.Ordinal);
        return delivery.GetProperty("connectionId").GetString()!;
    }

    private async Task RefusedByDaneAsync(HistoryClient history, PipelineSettings settings, string sender)
    {
        var id = await SendAsync(settings, sender, "d@bad.lab.test");
        var names = await history.WaitForAttemptAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal(["msg:received", "dane:fail", "msg:host:defer", "msg:defer"], names);
        var failure = (await EventsAsync(history, id))[1].GetProperty("data");
        Assert.Equal("mx-bad.lab.test", failure.GetProperty("host").GetString());
        Assert.StartsWith("dane-verify: TLS session failure: DANE: no TLSA record matches", failure.GetProperty("eventData").GetString(),
            StringComparison.Ordinal);
        Assert.DoesNotContain($" <= {sender} ", fixture.Exim.MainLog, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task a_host_whose_tlsa_records_do_not_match_never_gets_mail_over_another_hosts_connection(bool goodFirst)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (settings, pipeline) = await fixture.StartPipelineAsync();
        await using (pipeline)
        using (var history = new HistoryClient(settings.HttpPort))
        {
            if (goodFirst)
            {
                await DeliveredWithDaneAsync(history, settings, $"good-{tag}@origin.test");
                await RefusedByDaneAsync(history, settings, $"bad-{tag}@origin.test");
            }
            else
            {
                await RefusedByDaneAsync(history, settings, $"bad-{tag}@origin.test");
                await DeliveredWithDaneAsync(history, settings, $"good-{tag}@origin.test");
            }

            // The next message for mx.lab.test still goes down the connection it opened.
            var first = await DeliveredWithDaneAsync(history, settings, $"again-{tag}@origin.test");
            Assert.Equal(first, await DeliveredWithDaneAsync(history, settings, $"more-{tag}@origin.test"));
        }
    }

    [Fact]
    public async Task a_host_named_in_hosts_require_ocsp_gets_its_own_connection_and_its_check()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (settings, pipeline) = await fixture.StartPipelineAsync(("HostsRequireOcsp:0", "mx-ocsp.lab.test"));
        await using (pipeline)
        using (var history = new HistoryClient(settings.HttpPort))
        {
            await DeliveredWithDaneAsync(history, settings, $"good-{tag}@origin.test");

            // Same address and port, another name: that name requires a staple, which Exim does not send.
            var sender = $"ocsp-{tag}@origin.test";
            var id = await SendAsync(settings, sender, "d@ocsp.lab.test");
            Assert.Equal(["msg:received", "msg:host:defer", "msg:defer"], await history.WaitForAttemptAsync(id, TimeSpan.FromSeconds(30)));
            var defer = (await EventsAsync(history, id))[1].GetProperty("data");
            Assert.Equal("mx-ocsp.lab.test", defer.GetProperty("host").GetString());
            Assert.Equal("TLS session failure: the server stapled no OCSP response", defer.GetProperty("eventData").GetString());
            Assert.DoesNotContain($" <= {sender} ", fixture.Exim.MainLog, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task recipients_of_a_domain_with_equal_mx_hosts_share_one_transaction()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (settings, pipeline) = await fixture.StartPipelineAsync();
        await using (pipeline)
        using (var history = new HistoryClient(settings.HttpPort))
        {
            for (var i = 0; i < 8; i++)
            {
                var sender = $"two-{tag}-{i}@origin.test";
                var id = await SendAsync(settings, sender, "a@two.lab.test", "b@two.lab.test", "c@two.lab.test");
                var names = await history.WaitForAttemptAsync(id, TimeSpan.FromSeconds(30));
                Assert.Equal(3, names.Count(n => n == "msg:delivery"));
                var hosts = (await EventsAsync(history, id)).Where(e => e.GetProperty("name").GetString() == "msg:delivery")
                    .Select(e => e.GetProperty("data").GetProperty("host").GetString()).Distinct().ToList();
                Assert.Single(hosts);

                // One transaction at Exim: one <= line naming all three recipients.
                var received = fixture.Exim.MainLog.Split('\n').Where(l => l.Contains($" <= {sender} ", StringComparison.Ordinal)).ToList();
                var line = Assert.Single(received);
                Assert.EndsWith(" for a@two.lab.test b@two.lab.test c@two.lab.test", line, StringComparison.Ordinal);
            }
        }
    }
}
