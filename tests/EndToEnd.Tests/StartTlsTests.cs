using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>The pipeline with a certificate for mail.test and an OCSP response file to staple.</summary>
public class TlsFixture : PipelineFixture
{
    public TestPki Pki { get; } = new();

    public string StapleFile => Pki.Path("staple.der");

    public TlsFixture() => File.Copy(Pki.GoodResponse, StapleFile);

    /// <summary>Settings a derived fixture adds to these.</summary>
    protected virtual Dictionary<string, string> More => [];

    protected override Dictionary<string, string> Extra => new Dictionary<string, string>
    {
        ["Ingress:AuthUsers:alice"] = "{PLAIN}wonderland",
        // Made with the command docs/configuration.md gives.
        ["Ingress:AuthUsers:bob"] = "{PBKDF2-SHA256}1000$00112233445566778899aabbccddeeff$" + Pki.OpenSsl("kdf", "-keylen", "32",
            "-kdfopt", "digest:SHA256", "-kdfopt", "pass:builder", "-kdfopt", "hexsalt:00112233445566778899aabbccddeeff",
            "-kdfopt", "iter:1000", "PBKDF2").Trim(),
        ["Ingress:TlsCertificate:0"] = Pki.Chain,
        ["Ingress:TlsPrivateKey:0"] = Pki.Key,
        ["Ingress:TlsOcspFile:0"] = StapleFile,
        ["Ingress:TlsTryVerifyHosts:0"] = "*",
        ["Ingress:TlsVerifyCertificates"] = Pki.CaCertificate,
    }.Concat(More).ToDictionary();

    /// <summary>Replaces the staple file atomically, as an operator's cron job would.</summary>
    public void ReplaceStaple(string source)
    {
        var temporary = StapleFile + ".new";
        File.Copy(source, temporary, overwrite: true);
        File.Move(temporary, StapleFile, overwrite: true);
        File.SetLastWriteTimeUtc(StapleFile, DateTime.UtcNow.AddSeconds(Random.Shared.Next(1, 1000)));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Pki.Dispose();
    }
}

/// <summary>STARTTLS (RFC 3207) with OCSP stapling, against swaks and openssl s_client.</summary>
public sealed class starttls_with_ocsp_stapling(TlsFixture fixture) : IClassFixture<TlsFixture>
{
    private int Port => fixture.Settings.SmtpPort;

    private Task<string> SClientAsync() => SClient.StatusAsync(Port, fixture.Pki.CaCertificate);

    [Fact]
    public async Task swaks_delivers_a_message_over_starttls()
    {
        var message = new TestMessage();
        var swaks = await Swaks.SendAsync(Port, message.Content, "--tls", "--from", "s@origin.test", "--to", "a@example.test");
        Assert.True(swaks.MessageId is not null, swaks.Transcript);
        Assert.Contains("<-  220 2.0.0 TLS go ahead", swaks.Transcript, StringComparison.Ordinal);
        message.AssertDelivered(Assert.Single(await fixture.DeliveredAsync(swaks.MessageId, message.Subject)), swaks.MessageId);

        var received = (await fixture.History.GetJsonAsync($"/messages/{swaks.MessageId}/events"))!.Value[0].GetProperty("data");
        Assert.Equal("esmtps", received.GetProperty("protocol").GetString());
        Assert.StartsWith("TLSv1.", received.GetProperty("tlsVersion").GetString(), StringComparison.Ordinal);
        Assert.Contains($"{swaks.MessageId} <= s@origin.test", fixture.Pipeline.Output, StringComparison.Ordinal);
        Assert.Contains("P=esmtps X=TLSv1.", fixture.Pipeline.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task openssl_sees_the_stapled_response_and_none_once_it_expired()
    {
        fixture.ReplaceStaple(fixture.Pki.GoodResponse);
        var good = await SClientAsync();
        Assert.Contains("OCSP Response Status: successful", good, StringComparison.Ordinal);
        Assert.Contains("Cert Status: good", good, StringComparison.Ordinal);
        Assert.Contains("Verify return code: 0 (ok)", good, StringComparison.Ordinal);

        fixture.ReplaceStaple(fixture.Pki.ExpiredResponse);
        var expired = await SClientAsync();
        Assert.Contains("OCSP response: no response sent", expired, StringComparison.Ordinal);
        Assert.Contains("Not stapling", fixture.Pipeline.Output, StringComparison.Ordinal);

        fixture.ReplaceStaple(fixture.Pki.GoodResponse);
        Assert.Contains("OCSP Response Status: successful", await SClientAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PLAIN", "alice", "wonderland")]
    [InlineData("LOGIN", "bob", "builder")]
    public async Task an_authenticated_client_may_relay(string mechanism, string user, string password)
    {
        var message = new TestMessage();
        var swaks = await Swaks.SendAsync(Port, message.Content, "--tls", "--auth", mechanism, "--auth-user", user, "--auth-password", password,
            "--from", "s@origin.test", "--to", "x@elsewhere.test");
        Assert.True(swaks.MessageId is not null, swaks.Transcript);
        Assert.Contains("<~  235 2.7.0 Authentication succeeded", swaks.Transcript, StringComparison.Ordinal);
        var received = (await fixture.History.GetJsonAsync($"/messages/{swaks.MessageId}/events"))!.Value[0].GetProperty("data");
        Assert.Equal(user, received.GetProperty("authenticatedId").GetString());
        Assert.Equal("esmtpsa", received.GetProperty("protocol").GetString());
        message.AssertDelivered(Assert.Single(await fixture.DeliveredAsync(swaks.MessageId, message.Subject)), swaks.MessageId);
    }

    [Fact]
    public async Task a_client_certificate_is_recorded_as_tls_cert_on_the_connection()
    {
        var message = new TestMessage();
        var swaks = await Swaks.SendAsync(Port, message.Content, "--tls", "--tls-cert", fixture.Pki.ClientCertificate,
            "--tls-key", fixture.Pki.ClientKey, "--from", "s@origin.test", "--to", "a@example.test");
        Assert.True(swaks.MessageId is not null, swaks.Transcript);
        var received = (await fixture.History.GetJsonAsync($"/messages/{swaks.MessageId}/events"))!.Value[0].GetProperty("data");
        var connection = received.GetProperty("connectionId").GetString();

        // Connection events are written when the connection closes, shortly after QUIT.
        System.Text.Json.JsonElement? events = null;
        for (var i = 0; i < 50 && events is null; i++, await Task.Delay(100))
            events = await fixture.History.GetJsonAsync($"/connections/{connection}/events");
        var certificates = events!.Value.EnumerateArray().Where(e => e.GetProperty("name").GetString() == "tls:cert").ToList();
        var leaf = Assert.Single(certificates, c => c.GetProperty("data").GetProperty("eventData").GetString() == "0").GetProperty("data");
        Assert.Equal("CN=client.mail.test", leaf.GetProperty("subject").GetString());
        Assert.Equal("CN=Pipeline Test CA", leaf.GetProperty("issuer").GetString());
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", leaf.GetProperty("peerCertificate").GetString(), StringComparison.Ordinal);
        Assert.Equal(["tcp:connect", "smtp:connect"], events.Value.EnumerateArray().Take(2).Select(e => e.GetProperty("name").GetString()));
        Assert.Equal("tcp:close", events.Value.EnumerateArray().Last().GetProperty("name").GetString());
    }

    [Fact]
    public async Task a_wrong_password_gets_535_and_no_relay()
    {
        var swaks = await Swaks.SendAsync(Port, null, "--tls", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "guess",
            "--from", "s@origin.test", "--to", "x@elsewhere.test");
        Assert.Contains("<~* 535 5.7.8 Incorrect authentication data", swaks.Transcript, StringComparison.Ordinal);
        Assert.Null(swaks.MessageId);
        Assert.DoesNotContain("guess", fixture.Pipeline.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task auth_is_neither_offered_nor_accepted_in_the_clear()
    {
        await using var client = await RawSmtpClient.ConnectAsync(Port);
        await client.ReadReplyAsync();
        Assert.DoesNotContain("AUTH", await client.CommandAsync("EHLO client.test"), StringComparison.Ordinal);
        var plain = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0alice\0wonderland"));
        Assert.Equal("503 5.5.1 AUTH command used when not advertised", await client.CommandAsync($"AUTH PLAIN {plain}"));
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<s@origin.test>"), StringComparison.Ordinal);
        Assert.Equal("550 5.7.1 relay not permitted", await client.CommandAsync("RCPT TO:<x@elsewhere.test>"));
    }

    [Fact]
    public async Task commands_pipelined_after_starttls_in_the_clear_are_thrown_away()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Port);
        var stream = tcp.GetStream();
        var reader = new StreamReader(stream, Encoding.ASCII);
        Assert.StartsWith("220 ", await reader.ReadLineAsync(), StringComparison.Ordinal);
        await stream.WriteAsync("EHLO client.test\r\n"u8.ToArray());
        while ((await reader.ReadLineAsync())!.StartsWith("250-", StringComparison.Ordinal)) { }
        await stream.WriteAsync("MAIL FROM:<before@tls.test>\r\n"u8.ToArray());
        Assert.StartsWith("250", await reader.ReadLineAsync(), StringComparison.Ordinal);

        // The injection: a command behind STARTTLS in the same packet.
        await stream.WriteAsync("STARTTLS\r\nRCPT TO:<injected@example.test>\r\n"u8.ToArray());
        Assert.Equal("220 2.0.0 TLS go ahead", await reader.ReadLineAsync());
        await using var tls = new SslStream(stream, leaveInnerStreamOpen: true, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("mail.test");
        var secure = new StreamReader(tls, Encoding.ASCII);

        // Had the injected RCPT survived, this would read its reply. Under TLS the session starts over.
        await tls.WriteAsync("RCPT TO:<a@example.test>\r\n"u8.ToArray());
        Assert.StartsWith("503", await secure.ReadLineAsync(), StringComparison.Ordinal);
        await tls.WriteAsync("EHLO client.test\r\n"u8.ToArray());
        var ehlo = new List<string>();
        string line;
        do
        {
            line = (await secure.ReadLineAsync())!;
            ehlo.Add(line);
        }
        while (line.StartsWith("250-", StringComparison.Ordinal));
        Assert.DoesNotContain("250-STARTTLS", ehlo);
    }
}
