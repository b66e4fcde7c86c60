using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>The pipeline with a certificate for mail.test and an OCSP response file to staple.</summary>
public sealed class TlsFixture : PipelineFixture
{
    public TestPki Pki { get; } = new();

    public string StapleFile => Pki.Path("staple.der");

    public TlsFixture() => File.Copy(Pki.GoodResponse, StapleFile);

    protected override Dictionary<string, string> Extra => new()
    {
        ["Ingress:TlsCertificate:0"] = Pki.Chain,
        ["Ingress:TlsPrivateKey:0"] = Pki.Key,
        ["Ingress:TlsOcspFile:0"] = StapleFile,
    };

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

    private async Task<string> SClientAsync()
    {
        var info = new ProcessStartInfo("openssl", ["s_client", "-starttls", "smtp", "-connect", $"127.0.0.1:{Port}",
            "-servername", "mail.test", "-status", "-CAfile", fixture.Pki.CaCertificate, "-verify_return_error"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await Task.Delay(500);
        await process.StandardInput.WriteAsync("QUIT\r\n");
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        return await output + await error;
    }

    [Fact]
    public async Task swaks_delivers_a_message_over_starttls()
    {
        var message = new TestMessage();
        var swaks = await Swaks.SendAsync(Port, message.Content, "--tls", "--from", "s@origin.test", "--to", "a@example.test");
        Assert.True(swaks.MessageId is not null, swaks.Transcript);
        Assert.Contains("<-  220 TLS go ahead", swaks.Transcript, StringComparison.Ordinal);
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
        Assert.Equal("220 TLS go ahead", await reader.ReadLineAsync());
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
