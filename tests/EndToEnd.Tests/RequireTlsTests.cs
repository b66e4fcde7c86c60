using System.Text.Json;
using MimeKit;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// REQUIRETLS (RFC 8689) from one end to the other: a client asks for it on MAIL over STARTTLS;
/// the pipeline sends the message on only over TLS whose certificate verifies, to a server that
/// offers REQUIRETLS (a second pipeline's ingress, with the test PKI's certificate), passing the
/// parameter on. Exim (4.96, which offers STARTTLS but not REQUIRETLS) and a server whose
/// certificate does not verify get nothing; with no other host, the sender gets a bounce (to
/// smtp-sink) that says why and carries none of the message.
/// </summary>
public sealed class requiretls_delivery : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private const string Body = "a line only TLS may carry";

    // The first pipeline: STARTTLS with the test PKI's certificate, example.test routed to
    // the given ports in turn, origin.test (the senders) to a sink, verification against the
    // test CA unless told otherwise.
    private Dictionary<string, string> Options(SmtpSink senders, string verifyCertificates, params int[] hosts)
    {
        var extra = PipelineSettings.Route("example.test", hosts[0], hosts[1..]);
        extra["Delivery:Routes:1:Domains:0"] = "origin.test";
        extra["Delivery:Routes:1:Hosts:0"] = $"127.0.0.1:{senders.Port}";
        extra["Delivery:TlsVerifyCertificates"] = verifyCertificates;
        extra["Delivery:RetryRules"] = "F,1h,10m";
        extra["Ingress:TlsCertificate:0"] = _pki.Chain;
        extra["Ingress:TlsPrivateKey:0"] = _pki.Key;
        return extra;
    }

    // A second pipeline as the next hop: its ingress offers REQUIRETLS after STARTTLS; without
    // a delivery role, what it takes stays in its queue for the test to look at.
    private async Task<(PipelineSettings Settings, PipelineProcess Process)> StartNextHopAsync()
    {
        var settings = new PipelineSettings();
        var process = await PipelineProcess.StartAsync(settings.For("ingress,policy,events", new Dictionary<string, string>
        {
            ["Ingress:TlsCertificate:0"] = _pki.Chain,
            ["Ingress:TlsPrivateKey:0"] = _pki.Key,
        }));
        return (settings, process);
    }

    // Submits a message over STARTTLS with REQUIRETLS on MAIL; returns its id.
    private static async Task<string> SubmitAsync(int port, string subject)
    {
        await using var client = await RawSmtpClient.ConnectAsync(port);
        Assert.StartsWith("220", await client.ReadReplyAsync(), StringComparison.Ordinal);
        var ehlo = await client.CommandAsync("EHLO client.test");
        Assert.DoesNotContain("REQUIRETLS", ehlo, StringComparison.Ordinal);
        // In the clear it is refused: REQUIRETLS is for sessions under TLS (§2).
        Assert.StartsWith("530 5.7.10 ", await client.CommandAsync("MAIL FROM:<sender@origin.test> REQUIRETLS"), StringComparison.Ordinal);
        await client.StartTlsAsync();
        Assert.Contains("250-REQUIRETLS", await client.CommandAsync("EHLO client.test"), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<sender@origin.test> REQUIRETLS"), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<a@example.test>"), StringComparison.Ordinal);
        Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
        var reply = await client.CommandAsync($"Subject: {subject}\r\nFrom: <sender@origin.test>\r\nTo: <a@example.test>\r\n\r\n{Body}\r\n.");
        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        await client.CommandAsync("QUIT");
        return reply[(reply.IndexOf("id=", StringComparison.Ordinal) + 3)..].Trim();
    }

    private static async Task<JsonElement> EventAsync(HistoryClient history, string id, string name) =>
        (await history.GetJsonAsync($"/messages/{id}/events"))!.Value.EnumerateArray().Last(e => e.GetProperty("name").GetString() == name)
            .GetProperty("data");

    [Fact]
    public async Task a_server_without_requiretls_is_passed_over_for_one_that_offers_it_under_verified_tls()
    {
        await using var senders = await SmtpSink.StartAsync();
        await using var exim = await EximServer.StartAsync(pki: _pki);
        var (nextHop, nextProcess) = await StartNextHopAsync();
        await using (nextProcess)
        {
            var settings = new PipelineSettings();
            await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: Options(senders, _pki.CaCertificate, exim.Port, nextHop.SmtpPort)));
            using var history = new HistoryClient(settings.HttpPort);
            var id = await SubmitAsync(settings.SmtpPort, $"requiretls-{Guid.NewGuid():N}");

            Assert.Equal(["msg:received", "msg:host:defer", "msg:delivery", "msg:complete"],
                await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30)));
            Assert.True((await EventAsync(history, id, "msg:received")).GetProperty("requireTls").GetBoolean());
            // Exim (STARTTLS, a certificate that verifies, no REQUIRETLS) got nothing.
            Assert.StartsWith("550 5.7.30 REQUIRETLS support required", (await EventAsync(history, id, "msg:host:defer")).GetProperty("eventData").GetString(),
                StringComparison.Ordinal);
            Assert.DoesNotContain(" <= sender@origin.test ", exim.MainLog, StringComparison.Ordinal);

            var delivery = await EventAsync(history, id, "msg:delivery");
            Assert.StartsWith("TLS1.", delivery.GetProperty("tls").GetString(), StringComparison.Ordinal);
            Assert.Equal("yes", delivery.GetProperty("certificateVerified").GetString());

            // The next hop took it with REQUIRETLS, over TLS.
            var reply = delivery.GetProperty("eventData").GetString()!;
            var relayed = reply[(reply.IndexOf("id=", StringComparison.Ordinal) + 3)..].Trim();
            using var nextHistory = new HistoryClient(nextHop.HttpPort);
            await nextHistory.WaitForEventAsync(relayed, "msg:received", TimeSpan.FromSeconds(10));
            var received = await EventAsync(nextHistory, relayed, "msg:received");
            Assert.True(received.GetProperty("requireTls").GetBoolean());
            Assert.Equal("esmtps", received.GetProperty("protocol").GetString());
            Assert.Empty(senders.Messages);
        }
    }

    [Fact]
    public async Task only_a_server_without_requiretls_means_no_delivery_and_a_bounce_with_5_7_30()
    {
        await using var senders = await SmtpSink.StartAsync();
        await using var exim = await EximServer.StartAsync(pki: _pki);
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: Options(senders, _pki.CaCertificate, exim.Port)));
        using var history = new HistoryClient(settings.HttpPort);
        var id = await SubmitAsync(settings.SmtpPort, $"requiretls-{Guid.NewGuid():N}");

        // At once, not at the end of the retry rules: no host is left that could take it.
        Assert.Equal(["msg:received", "msg:host:defer", "msg:fail:delivery", "msg:complete"],
            await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain(" <= sender@origin.test ", exim.MainLog, StringComparison.Ordinal);
        AssertBounce(await senders.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)), "5.7.30", "REQUIRETLS support required");
    }

    [Fact]
    public async Task a_server_whose_certificate_does_not_verify_gets_nothing_and_the_sender_a_bounce()
    {
        await using var senders = await SmtpSink.StartAsync();
        var (nextHop, nextProcess) = await StartNextHopAsync();
        await using (nextProcess)
        {
            var settings = new PipelineSettings();
            // The test CA is not among the system's: the next hop's certificate does not verify.
            await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: Options(senders, "system", nextHop.SmtpPort)));
            using var history = new HistoryClient(settings.HttpPort);
            var id = await SubmitAsync(settings.SmtpPort, $"requiretls-{Guid.NewGuid():N}");

            Assert.Equal(["msg:received", "msg:host:defer", "msg:fail:delivery", "msg:complete"],
                await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30)));
            Assert.StartsWith("550 5.7.10 REQUIRETLS: encryption needed: TLS session failure: certificate verification failed",
                (await EventAsync(history, id, "msg:fail:delivery")).GetProperty("eventData").GetString(), StringComparison.Ordinal);
            AssertBounce(await senders.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)), "5.7.10", "certificate verification failed");
            Assert.DoesNotContain(" <= sender@origin.test ", nextProcess.Output, StringComparison.Ordinal);
        }
    }

    // The report says why, and (RFC 8689 §5) carries nothing of the message: no headers, no body.
    private static void AssertBounce(IReadOnlyList<string> dumped, string status, string why)
    {
        var bounce = MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Assert.Single(dumped))));
        Assert.Equal("a@example.test", bounce.Headers["X-Failed-Recipients"]);
        var report = Assert.IsType<MultipartReport>(bounce.Body);
        Assert.Contains(why, Assert.IsType<TextPart>(report[0]).Text, StringComparison.Ordinal);
        var recipient = Assert.IsType<MessageDeliveryStatus>(report[1]).StatusGroups[1];
        Assert.Equal(status, recipient["Status"]);
        Assert.Equal(2, report.Count);
        Assert.DoesNotContain(Body, dumped[0], StringComparison.Ordinal);
        Assert.DoesNotContain("Subject: requiretls-", dumped[0], StringComparison.Ordinal);
    }
}

/// <summary>
/// <c>TLS-Required: No</c> (RFC 8689 §4.2.2) against DANE in a real DNSSEC-signed zone: the
/// message goes to a server whose TLSA record matches nothing, which DANE alone would defer,
/// but never where the administrator requires DANE (<c>HostsRequireDane</c>).
/// </summary>
public sealed class tls_required_no(DaneFixture fixture) : IClassFixture<DaneFixture>
{
    private async Task<(string Id, HistoryClient History, PipelineProcess Pipeline)> SendAsync(string sender, params (string Key, string Value)[] options)
    {
        var settings = new PipelineSettings();
        var extra = PipelineSettings.Route("example.test", fixture.Exim.Port);
        extra["Delivery:Routes:0:Hosts:0"] = $"bad.mail.test:{fixture.Exim.Port}";
        extra["Dns:Servers:0"] = $"127.0.0.1:{fixture.Resolver.Port}";
        extra["Delivery:RetryRules"] = "F,1h,1m";
        foreach (var (key, value) in options)
            extra[$"Delivery:{key}"] = value;
        var pipeline = await PipelineProcess.StartAsync(settings.For(extra: extra));
        var swaks = await Swaks.SendAsync(settings.SmtpPort, "TLS-Required: No\r\n" + new TestMessage().Content, "--from", sender, "--to", "a@example.test");
        Assert.True(swaks.MessageId is not null, swaks.Transcript);
        return (swaks.MessageId, new HistoryClient(settings.HttpPort), pipeline);
    }

    [Fact]
    public async Task the_recipients_dane_records_do_not_hold_the_message_back()
    {
        var (id, history, pipeline) = await SendAsync("tls-optional@origin.test");
        await using (pipeline)
        using (history)
        {
            Assert.Equal(["msg:received", "msg:delivery", "msg:complete"], await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30)));
            var delivery = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value[1].GetProperty("data");
            // Still over TLS, as STARTTLS was offered; not authenticated by DANE.
            Assert.StartsWith("TLS1.", delivery.GetProperty("tls").GetString(), StringComparison.Ordinal);
            Assert.False(delivery.GetProperty("dane").GetBoolean());
        }

        Assert.Contains(" <= tls-optional@origin.test ", fixture.Exim.MainLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task hosts_require_dane_still_holds()
    {
        var (id, history, pipeline) = await SendAsync("tls-optional-required@origin.test", ("HostsRequireDane:0", "*"));
        await using (pipeline)
        using (history)
        {
            await history.WaitForEventAsync(id, "msg:defer", TimeSpan.FromSeconds(30));
            Assert.Equal(["msg:received", "dane:fail", "msg:host:defer", "msg:defer"], await history.EventNamesAsync(id));
        }

        Assert.DoesNotContain(" <= tls-optional-required@origin.test ", fixture.Exim.MainLog, StringComparison.Ordinal);
    }
}
