using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Exim with the test PKI's certificate (it names <c>mail.test</c> and <c>*.mail.test</c>),
/// reached by MX under domains of <c>sts.test</c> that publish <c>_mta-sts</c> records, and
/// under <c>dane.test</c>, DNSSEC-signed, whose MX has a DANE-EE TLSA record. Each test serves
/// its domain's policy with <c>openssl s_server -WWW</c>, under a certificate from the same CA
/// that names every <c>mta-sts.</c> host.
/// </summary>
public sealed class MtaStsFixture : EximBehindSignedZones
{
    /// <summary>The recipient domains under <c>sts.test</c> and the MX host each has.</summary>
    public static readonly Dictionary<string, string> Domains = new()
    {
        ["good"] = "mx.mail.test",
        ["unlisted"] = "mx.mail.test",
        ["mismatch"] = "mx.other.test",
        ["testing"] = "mx.other.test",
        ["webpki"] = "mx.other.test",
    };

    protected override HashSet<string> Signed => ["dane.test"];

    protected override Dictionary<string, string[]> Zones(string tlsa, string spki, string anchor) => new()
    {
        ["mail.test"] = ["mx IN A 127.0.0.1"],
        ["other.test"] = ["mx IN A 127.0.0.1"],
        ["sts.test"] =
        [
            .. Domains.SelectMany(d => new[]
            {
                $"{d.Key} IN MX 10 {d.Value}.", $"_mta-sts.{d.Key} IN TXT \"v=STSv1; id=20261207T1\"", $"mta-sts.{d.Key} IN A 127.0.0.1",
            }),
        ],
        ["dane.test"] =
        [
            "@ IN MX 10 ee.dane.test.", "ee IN A 127.0.0.1", $"{tlsa}.ee IN TLSA 3 1 1 {spki}",
            "_mta-sts IN TXT \"v=STSv1; id=20261207T1\"", "mta-sts IN A 127.0.0.1",
        ],
    };

    public MtaStsFixture()
    {
        var names = Domains.Keys.Select(d => $"DNS:mta-sts.{d}.sts.test").Append("DNS:mta-sts.dane.test");
        File.WriteAllText(Pki.Path("mta-sts.ext"), $"subjectAltName={string.Join(',', names)}\n");
        Pki.OpenSsl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "mta-sts.key", "-out", "mta-sts.csr", "-subj", "/CN=mta-sts.sts.test");
        Pki.OpenSsl("x509", "-req", "-in", "mta-sts.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "mta-sts.crt", "-days", "30",
            "-extfile", "mta-sts.ext");
    }

    /// <summary>The certificate (and its key) of the policies' web server: it names every <c>mta-sts.</c> host of the tests.</summary>
    public (string Certificate, string Key) PolicyServerCertificate => (Pki.Path("mta-sts.crt"), Pki.Path("mta-sts.key"));
}

/// <summary>
/// MTA-STS (RFC 8461) against real DNS (NSD behind Unbound), a real HTTPS server for the
/// policies (openssl s_server) and a real SMTP server with STARTTLS (Exim): <c>enforce</c>
/// delivers only to a named MX whose certificate verifies and names it, and otherwise defers
/// without ever sending in the clear; <c>testing</c> delivers and records what failed; a policy
/// whose web server's certificate does not verify is no policy; DANE, where it applies, wins.
/// </summary>
public sealed class mta_sts(MtaStsFixture fixture) : IClassFixture<MtaStsFixture>
{
    private sealed record Sent(string Id, HistoryClient History, PipelineProcess Pipeline, ServerProcess PolicyServer) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            History.Dispose();
            await Pipeline.DisposeAsync();
            await PolicyServer.DisposeAsync();
        }

        public async Task<List<JsonElement>> EventsAsync() => (await History.GetJsonAsync($"/messages/{Id}/events"))!.Value.EnumerateArray().ToList();
    }

    // Serves `policy` as https://mta-sts.<domain>/.well-known/mta-sts.txt (s_server -WWW serves
    // files of its working folder, as text/plain), starts a pipeline that fetches policies
    // there and delivers to Exim by MX, and sends one message to a recipient of `domain`.
    private async Task<Sent> SendAsync(string domain, string policy, string sender, bool policyCertificateNamesHost = true)
    {
        var folder = Directory.CreateTempSubdirectory("pipeline-mta-sts-").FullName;
        Directory.CreateDirectory(Path.Combine(folder, ".well-known"));
        await File.WriteAllTextAsync(Path.Combine(folder, ".well-known", "mta-sts.txt"), policy);
        var (certificate, key) = policyCertificateNamesHost ? fixture.PolicyServerCertificate : (fixture.Pki.Chain, fixture.Pki.Key);
        var port = FreePort.Next();
        var https = await ServerProcess.StartAsync(new ProcessStartInfo("openssl",
            ["s_server", "-accept", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", "-cert", certificate, "-key", key, "-WWW", "-quiet"])
        {
            WorkingDirectory = folder,
        }, folder, port);

        var settings = new PipelineSettings();
        var pipeline = await PipelineProcess.StartAsync(settings.For(extra: new Dictionary<string, string>
        {
            ["Dns:Servers:0"] = $"127.0.0.1:{fixture.Resolver.Port}",
            // MX hosts are reached on Delivery:Port: here Exim's.
            ["Delivery:Port"] = fixture.Exim.Port.ToString(CultureInfo.InvariantCulture),
            ["Delivery:MtaStsPort"] = port.ToString(CultureInfo.InvariantCulture),
            ["Delivery:TlsVerifyCertificates"] = fixture.Pki.CaCertificate,
            ["Delivery:RetryRules"] = "F,1h,1m",
        }));
        var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", sender, "--to", $"rcpt@{domain}");
        Assert.True(swaks.MessageId is not null, swaks.Transcript);
        return new Sent(swaks.MessageId, new HistoryClient(settings.HttpPort), pipeline, https);
    }

    private static string Policy(string mode, string mx) => $"version: STSv1\r\nmode: {mode}\r\nmx: {mx}\r\nmax_age: 86400\r\n";

    private static JsonElement Data(List<JsonElement> events, string name) => events.Single(e => e.GetProperty("name").GetString() == name).GetProperty("data");

    private static List<string?> Names(List<JsonElement> events) => events.Select(e => e.GetProperty("name").GetString()).ToList();

    [Fact]
    public async Task enforce_delivers_to_a_named_mx_whose_certificate_verifies_and_names_it()
    {
        await using var sent = await SendAsync("good.sts.test", Policy("enforce", "mx.mail.test"), "sts-good@origin.test");
        Assert.Equal("msg:delivery", (await sent.History.WaitForEventAsync(sent.Id, "msg:complete", TimeSpan.FromSeconds(30)))[1]);
        var delivery = Data(await sent.EventsAsync(), "msg:delivery");
        Assert.Equal("mx.mail.test", delivery.GetProperty("host").GetString());
        Assert.Equal("dnslookup", delivery.GetProperty("routerName").GetString());
        Assert.StartsWith("TLS1.", delivery.GetProperty("tls").GetString(), StringComparison.Ordinal);
        Assert.Equal("yes", delivery.GetProperty("certificateVerified").GetString());
        Assert.Equal("sts", delivery.GetProperty("tlsPolicyType").GetString());
        Assert.Equal("good.sts.test", delivery.GetProperty("tlsPolicyDomain").GetString());
        Assert.Equal(["version: STSv1", "mode: enforce", "mx: mx.mail.test", "max_age: 86400"],
            delivery.GetProperty("tlsPolicyStrings").EnumerateArray().Select(s => s.GetString()));
        Assert.Contains(" <= sts-good@origin.test ", fixture.Exim.MainLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task enforce_defers_a_named_mx_whose_certificate_does_not_name_it_and_sends_nothing_in_the_clear()
    {
        await using var sent = await SendAsync("mismatch.sts.test", Policy("enforce", "mx.other.test"), "sts-mismatch@origin.test");
        await sent.History.WaitForEventAsync(sent.Id, "msg:defer", TimeSpan.FromSeconds(30));
        var events = await sent.EventsAsync();
        Assert.Equal(["msg:received", "msg:host:defer", "msg:defer"], Names(events));
        Assert.Equal("TLS session failure: certificate verification failed: the certificate does not name mx.other.test",
            Data(events, "msg:host:defer").GetProperty("eventData").GetString());

        // The failed session is the connection's tls:fail:connect, counted under the policy.
        var failed = (await sent.History.GetJsonAsync("/events?names=tls:fail:connect"))!.Value.GetProperty("events").EnumerateArray().Single()
            .GetProperty("data");
        Assert.Equal("certificate-host-mismatch", failed.GetProperty("tlsResultType").GetString());
        Assert.Equal("sts", failed.GetProperty("tlsPolicyType").GetString());
        Assert.Equal(["mismatch.sts.test"], failed.GetProperty("tlsPolicyDomains").EnumerateArray().Select(s => s.GetString()));
        Assert.DoesNotContain(" <= sts-mismatch@origin.test ", fixture.Exim.MainLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task enforce_does_not_use_an_mx_the_policy_does_not_name()
    {
        await using var sent = await SendAsync("unlisted.sts.test", Policy("enforce", "*.elsewhere.test"), "sts-unlisted@origin.test");
        await sent.History.WaitForEventAsync(sent.Id, "msg:defer", TimeSpan.FromSeconds(30));
        var events = await sent.EventsAsync();
        Assert.Equal(["msg:received", "sts:fail", "msg:host:defer", "msg:defer"], Names(events));
        var failure = Data(events, "sts:fail");
        Assert.Equal("validation-failure", failure.GetProperty("tlsResultType").GetString());
        Assert.Equal("enforce", failure.GetProperty("mode").GetString());
        Assert.Equal("mx.mail.test", failure.GetProperty("host").GetString());
        Assert.Equal("unlisted.sts.test", failure.GetProperty("policyDomain").GetString());
        Assert.Equal("MTA-STS: mx.mail.test is not an MX host the policy of unlisted.sts.test names (mx: *.elsewhere.test)",
            Data(events, "msg:host:defer").GetProperty("eventData").GetString());
        Assert.DoesNotContain(" <= sts-unlisted@origin.test ", fixture.Exim.MainLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task testing_delivers_over_a_certificate_that_does_not_name_the_mx_and_records_the_failure()
    {
        await using var sent = await SendAsync("testing.sts.test", Policy("testing", "mx.other.test"), "sts-testing@origin.test");
        await sent.History.WaitForEventAsync(sent.Id, "msg:complete", TimeSpan.FromSeconds(30));
        var events = await sent.EventsAsync();
        Assert.Equal(["msg:received", "sts:fail", "msg:delivery", "msg:complete"], Names(events));
        var failure = Data(events, "sts:fail");
        var delivery = Data(events, "msg:delivery");
        Assert.Equal("certificate-host-mismatch", failure.GetProperty("tlsResultType").GetString());
        Assert.Equal("testing", failure.GetProperty("mode").GetString());
        Assert.Equal(delivery.GetProperty("connectionId").GetString(), failure.GetProperty("connectionId").GetString());
        Assert.StartsWith("TLS1.", delivery.GetProperty("tls").GetString(), StringComparison.Ordinal);
        Assert.Equal("no", delivery.GetProperty("certificateVerified").GetString());
        // The session failed the policy: its sts:fail counts it, the delivery not as a success.
        Assert.Equal(JsonValueKind.Null, delivery.GetProperty("tlsPolicyType").ValueKind);
        Assert.Contains(" <= sts-testing@origin.test ", fixture.Exim.MainLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_policy_whose_web_server_certificate_does_not_verify_is_no_policy()
    {
        // The policy would refuse mx.other.test's certificate; unfetched, it refuses nothing.
        await using var sent = await SendAsync("webpki.sts.test", Policy("enforce", "mx.other.test"), "sts-webpki@origin.test",
            policyCertificateNamesHost: false);
        await sent.History.WaitForEventAsync(sent.Id, "msg:complete", TimeSpan.FromSeconds(30));
        var events = await sent.EventsAsync();
        Assert.Equal(["msg:received", "sts:fail", "msg:delivery", "msg:complete"], Names(events));
        var failure = Data(events, "sts:fail");
        Assert.Equal("sts-webpki-invalid", failure.GetProperty("tlsResultType").GetString());
        Assert.Equal(JsonValueKind.Null, failure.GetProperty("mode").ValueKind);
        Assert.StartsWith("the certificate of mta-sts.webpki.sts.test does not verify", failure.GetProperty("eventData").GetString(),
            StringComparison.Ordinal);
        Assert.Equal("no-policy-found", Data(events, "msg:delivery").GetProperty("tlsPolicyType").GetString());
        Assert.Contains(" <= sts-webpki@origin.test ", fixture.Exim.MainLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task dane_decides_where_it_applies_and_the_policy_does_not()
    {
        // Under the policy, ee.dane.test is neither named nor named by its certificate: DANE alone decides.
        await using var sent = await SendAsync("dane.test", Policy("enforce", "mx.elsewhere.test"), "sts-dane@origin.test");
        await sent.History.WaitForEventAsync(sent.Id, "msg:complete", TimeSpan.FromSeconds(30));
        var events = await sent.EventsAsync();
        Assert.Equal(["msg:received", "msg:delivery", "msg:complete"], Names(events));
        var delivery = Data(events, "msg:delivery");
        Assert.Equal("dane", delivery.GetProperty("certificateVerified").GetString());
        Assert.Equal("tlsa", delivery.GetProperty("tlsPolicyType").GetString());
        Assert.Contains(" <= sts-dane@origin.test ", fixture.Exim.MainLog, StringComparison.Ordinal);
    }
}
