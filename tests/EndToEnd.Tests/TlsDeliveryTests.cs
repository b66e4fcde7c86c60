using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Delivery over STARTTLS (RFC 3207) to Exim (GnuTLS) with a certificate from the test PKI:
/// verification against <c>Delivery:TlsVerifyCertificates</c>, the fall-back to the clear
/// where TLS is not required, and <c>Delivery:HostsRequireOcsp</c> with responses made by
/// <c>openssl ocsp</c> and stapled by Exim from <c>tls_ocsp_file</c>.
/// </summary>
public sealed class tls_delivery : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private static async Task<(string Id, HistoryClient History)> SendAsync(PipelineSettings settings)
    {
        var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "sender@origin.test", "--to", "a@example.test");
        Assert.True(swaks.MessageId is not null, swaks.Transcript);
        return (swaks.MessageId, new HistoryClient(settings.HttpPort));
    }

    private Dictionary<string, string> Options(int port, params (string Key, string Value)[] options)
    {
        var extra = PipelineSettings.Route("example.test", port);
        extra["Delivery:RetryRules"] = "F,1h,1m";
        extra["Delivery:TlsVerifyCertificates"] = _pki.CaCertificate;
        foreach (var (key, value) in options)
            extra[$"Delivery:{key}"] = value;
        return extra;
    }

    private static async Task<string> HostDeferAsync(HistoryClient history, string id)
    {
        await history.WaitForEventAsync(id, "msg:defer", TimeSpan.FromSeconds(30));
        var events = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value.EnumerateArray();
        return events.Last(e => e.GetProperty("name").GetString() == "msg:host:defer").GetProperty("data").GetProperty("eventData").GetString()!;
    }

    [Fact]
    public async Task starttls_with_a_certificate_that_verifies()
    {
        await using var exim = await EximServer.StartAsync(pki: _pki);
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: Options(exim.Port, ("TlsVerifyHosts:0", "*"))));

        var (id, history) = await SendAsync(settings);
        using (history)
        {
            Assert.Equal("msg:delivery", (await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30)))[1]);
            var delivery = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value[1].GetProperty("data");
            Assert.StartsWith("TLS1.", delivery.GetProperty("tls").GetString(), StringComparison.Ordinal);
            Assert.Equal("yes", delivery.GetProperty("certificateVerified").GetString());

            var connection = (await history.GetJsonAsync($"/connections/{delivery.GetProperty("connectionId").GetString()}/events"))!.Value
                .EnumerateArray().ToList();
            var certificates = connection.Where(e => e.GetProperty("name").GetString() == "tls:cert").Select(e => e.GetProperty("data")).ToList();
            Assert.Equal("0", certificates[0].GetProperty("eventData").GetString());
            Assert.Equal("CN=mail.test", certificates[0].GetProperty("subject").GetString());
            Assert.StartsWith("-----BEGIN CERTIFICATE-----", certificates[0].GetProperty("peerCertificate").GetString(), StringComparison.Ordinal);
        }

        await pipeline.WaitForOutputAsync(new System.Text.RegularExpressions.Regex(@"=> a@example\.test R=route T=remote_smtp H=127\.0\.0\.1 \[127\.0\.0\.1\]:\d+ X=TLS1\.[23]:TLS_\w+ CV=yes C="));
        Assert.Contains(" <= sender@origin.test ", exim.MainLog, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task a_certificate_that_must_verify_and_does_not_sends_in_the_clear_unless_tls_is_required(bool requireTls)
    {
        await using var exim = await EximServer.StartAsync(pki: _pki);
        var settings = new PipelineSettings();
        var options = Options(exim.Port, ("TlsVerifyHosts:0", "*"));
        options["Delivery:TlsVerifyCertificates"] = "system"; // the test CA is not among the system's
        if (requireTls)
            options["Delivery:HostsRequireTls:0"] = "*";
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: options));

        var (id, history) = await SendAsync(settings);
        using (history)
        {
            if (requireTls)
            {
                Assert.StartsWith("TLS session failure: certificate verification failed", await HostDeferAsync(history, id), StringComparison.Ordinal);
                Assert.DoesNotContain(" <= sender@origin.test ", exim.MainLog, StringComparison.Ordinal);
                return;
            }

            Assert.Equal("msg:delivery", (await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30)))[1]);
            var delivery = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value[1].GetProperty("data");
            Assert.Equal(System.Text.Json.JsonValueKind.Null, delivery.GetProperty("tls").ValueKind);
        }

        Assert.Contains(" <= sender@origin.test ", exim.MainLog, StringComparison.Ordinal);
        Assert.DoesNotContain(" X=TLS", pipeline.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("good")]
    [InlineData("none")]
    public async Task hosts_require_ocsp_delivers_with_a_good_staple_from_exim_and_defers_without_one(string staple)
    {
        await using var exim = await EximServer.StartAsync(pki: _pki, ocspFile: staple == "good" ? _pki.GoodResponse : null);
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: Options(exim.Port, ("HostsRequireOcsp:0", "*"))));

        var (id, history) = await SendAsync(settings);
        using (history)
        {
            if (staple == "good")
            {
                Assert.Equal("msg:delivery", (await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30)))[1]);
                Assert.Contains(" <= sender@origin.test ", exim.MainLog, StringComparison.Ordinal);
                return;
            }

            Assert.Equal("TLS session failure: the server stapled no OCSP response", await HostDeferAsync(history, id));
        }

        // Never in the clear: Exim received nothing.
        Assert.DoesNotContain(" <= sender@origin.test ", exim.MainLog, StringComparison.Ordinal);
    }

    // Exim's GnuTLS will not staple a revoked or expired response (it stops offering TLS), so
    // openssl s_server staples them.
    [Theory]
    [InlineData("revoked", "TLS session failure: the stapled OCSP response says the certificate is revoked")]
    [InlineData("expired", "TLS session failure: the stapled OCSP response is not acceptable: the response expired at ")]
    public async Task hosts_require_ocsp_defers_a_revoked_or_expired_staple(string staple, string expected)
    {
        await using var server = await StaplingTlsServer.StartAsync(_pki, staple == "revoked" ? _pki.RevokedResponse : _pki.ExpiredResponse);
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: Options(server.Port, ("HostsRequireOcsp:0", "*"))));

        var (id, history) = await SendAsync(settings);
        using (history)
            Assert.StartsWith(expected, await HostDeferAsync(history, id), StringComparison.Ordinal);
    }
}
