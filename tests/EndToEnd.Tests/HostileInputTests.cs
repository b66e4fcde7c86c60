using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// The hostile input battery of issue 15, each case with the reply it must get, against the
/// pipeline as a process; what is accepted is checked at the smtp-sink it is delivered to.
/// </summary>
public sealed partial class hostile_input(PipelineFixture fixture) : IClassFixture<PipelineFixture>
{
    private int Port => fixture.Settings.SmtpPort;

    private async Task<RawSmtpClient> OpenAsync()
    {
        var client = await RawSmtpClient.ConnectAsync(Port);
        Assert.StartsWith("220 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("250-", await client.CommandAsync("EHLO hostile.test"), StringComparison.Ordinal);
        return client;
    }

    [Fact]
    public async Task a_nul_byte_in_a_command_gets_500()
    {
        await using var client = await OpenAsync();
        await client.SendAsync("MAIL FROM:<s@origin.test>\0 SIZE=10\r\n"u8.ToArray());
        Assert.StartsWith("500 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        await client.SendAsync("NO\0OP\r\n"u8.ToArray());
        Assert.StartsWith("500 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("NOOP"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task invalid_utf8_in_an_address_gets_553_with_or_without_smtputf8()
    {
        await using var client = await OpenAsync();
        await client.SendAsync([.. "MAIL FROM:<s"u8, 0xC3, 0x28, .. "@origin.test>\r\n"u8]);
        Assert.StartsWith("553 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        await client.SendAsync([.. "MAIL FROM:<s"u8, 0xFF, .. "@origin.test> SMTPUTF8\r\n"u8]);
        Assert.StartsWith("553 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<s@origin.test>"), StringComparison.Ordinal);
        await client.SendAsync([.. "RCPT TO:<a"u8, 0xE9, .. "@example.test>\r\n"u8]);
        Assert.StartsWith("553 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task eight_bit_content_without_8bitmime_is_taken_and_delivered_unchanged()
    {
        await using var client = await OpenAsync();
        var subject = $"eight-bit-{Guid.NewGuid():N}";
        await client.StartDataAsync("s@origin.test", "a@example.test");
        byte[] body = [.. "caf"u8, 0xE9, .. " na"u8, 0xEF, .. "ve \xff\x80 "u8, 0xC3, 0xA9];
        await client.SendAsync([.. Encoding.ASCII.GetBytes($"Subject: {subject}\r\n\r\n"), .. body, .. "\r\n.\r\n"u8]);
        var reply = await client.ReadReplyAsync();
        var id = reply.Split("id=") is [_, var rest] ? rest : throw new InvalidOperationException(reply);
        await fixture.History.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30));
        var dumped = Assert.Single(fixture.Sink.RawMessages, m => Encoding.Latin1.GetString(m).Contains(subject, StringComparison.Ordinal));
        Assert.Contains(Encoding.Latin1.GetString(body), Encoding.Latin1.GetString(dumped), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ten_thousand_recipients_get_452_past_the_limit_and_the_first_thousand_are_kept()
    {
        await using var client = await OpenAsync();
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<s@origin.test>"), StringComparison.Ordinal);
        var commands = new StringBuilder();
        for (var i = 0; i < 10_000; i++)
            commands.Append(CultureInfoInvariant($"RCPT TO:<r{i}@example.test>\r\n"));
        await client.SendAsync(commands.ToString());
        var replies = new List<string>();
        for (var i = 0; i < 10_000; i++)
            replies.Add(await client.ReadReplyAsync());
        Assert.All(replies.Take(1000), r => Assert.Equal("250 2.1.5 Accepted", r));
        Assert.All(replies.Skip(1000), r => Assert.Equal("452 4.5.3 too many recipients", r));
        Assert.StartsWith("250", await client.CommandAsync("RSET"), StringComparison.Ordinal);
    }

    private static string CultureInfoInvariant(FormattableString text) => FormattableString.Invariant(text);

    [Theory]
    [InlineData("GET / HTTP/1.1")]
    [InlineData("POST /submit HTTP/1.1")]
    [InlineData("CONNECT mail.example:25 HTTP/1.1")]
    public async Task an_http_request_is_dropped_at_once(string requestLine)
    {
        await using var client = await RawSmtpClient.ConnectAsync(Port);
        Assert.StartsWith("220 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        await client.SendAsync($"{requestLine}\r\nHost: 127.0.0.1\r\nUser-Agent: test\r\n\r\n");
        // No EHLO came, so no enhanced status code (RFC 2034).
        Assert.Equal("554 HTTP request on an SMTP port - closing connection", await client.ReadReplyAsync());
        Assert.True(await client.ClosedAsync(TimeSpan.FromSeconds(5)));
    }
}

/// <summary>Garbage in place of a TLS handshake after STARTTLS: the connection is closed, the server goes on.</summary>
public sealed class hostile_tls(TlsFixture fixture) : IClassFixture<TlsFixture>
{
    [Theory]
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00 })]  // a ClientHello cut short
    [InlineData(new byte[] { 0x47, 0x45, 0x54, 0x20, 0x2F, 0x0D, 0x0A, 0x0D, 0x0A })]          // plain text
    [InlineData(new byte[] { 0x16, 0x03, 0x03, 0xFF, 0xFF })]                                   // a record longer than TLS allows
    public async Task garbage_instead_of_a_handshake_closes_the_connection_and_harms_nothing(byte[] garbage)
    {
        await using (var client = await RawSmtpClient.ConnectAsync(fixture.Settings.SmtpPort))
        {
            Assert.StartsWith("220 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
            Assert.StartsWith("250-", await client.CommandAsync("EHLO hostile.test"), StringComparison.Ordinal);
            Assert.StartsWith("220 ", await client.CommandAsync("STARTTLS"), StringComparison.Ordinal);
            try
            {
                // Zeros after it fill whatever record length the garbage claims (up to 64 KB):
                // the server has a whole record to refuse, not a wait for more.
                await client.SendAsync([.. garbage, .. new byte[70_000]]);
            }
            catch (IOException)
            {
                // The server closed before taking it all: what is checked below.
            }

            Assert.True(await client.ClosedAsync(TimeSpan.FromSeconds(30)));
        }

        // The server still takes a real TLS client.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", fixture.Settings.SmtpPort);
        var stream = tcp.GetStream();
        var reader = new StreamReader(stream, Encoding.ASCII);
        Assert.StartsWith("220 ", await reader.ReadLineAsync(), StringComparison.Ordinal);
        await stream.WriteAsync("EHLO again.test\r\n"u8.ToArray());
        while ((await reader.ReadLineAsync())!.StartsWith("250-", StringComparison.Ordinal))
        {
        }

        await stream.WriteAsync("STARTTLS\r\n"u8.ToArray());
        Assert.StartsWith("220 ", await reader.ReadLineAsync(), StringComparison.Ordinal);
        await using var tls = new SslStream(stream, false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("localhost");
        Assert.True(tls.IsAuthenticated);
    }
}
