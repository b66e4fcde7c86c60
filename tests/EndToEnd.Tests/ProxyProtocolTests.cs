using System.Text.Json;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// The pipeline with 127.0.0.1 in Ingress:HostsProxy: every connection from it must start with a
/// PROXY header. Its rules record a proxied session in the log and in a header, from Exim's
/// proxy variables.
/// </summary>
public sealed class ProxyFixture : PipelineFixture
{
    private readonly string _rules = Path.Combine(Directory.CreateTempSubdirectory("pipeline-rules-").FullName, "rules.conf");

    public ProxyFixture() => File.WriteAllText(_rules, """
        mail:
          warn    condition = $proxy_session
                  add_header = X-Proxied: $sender_host_address:$sender_host_port via $proxy_external_address:$proxy_external_port
                  logwrite = proxied session from $sender_host_address through ${if def:proxy_local_address {$proxy_local_address}{?}}
          accept
        """);

    protected override Dictionary<string, string> Extra => new()
    {
        ["Ingress:HostsProxy:0"] = "127.0.0.1",
        ["Ingress:ProxyTimeout"] = "00:00:01",
        ["Policy:Rules"] = _rules,
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_rules)!, recursive: true);
    }
}

/// <summary>
/// Ingress behind a proxy speaking the PROXY protocol (haproxy's proxy-protocol.txt): swaks
/// sending v1 and v2 headers itself, and haproxy in TCP mode with send-proxy and send-proxy-v2.
/// The recorded client is the proxy's client, never the proxy.
/// </summary>
public sealed class behind_a_proxy(ProxyFixture fixture) : IClassFixture<ProxyFixture>
{
    private async Task<(string Id, JsonElement Received, string Delivered)> SendAsync(int port, params string[] arguments)
    {
        var message = new TestMessage();
        var swaks = await Swaks.SendAsync(port, message.Content, ["--from", "s@origin.test", "--to", "a@example.test", .. arguments]);
        Assert.True(swaks.MessageId is not null, swaks.Transcript + fixture.Pipeline.Output);
        var delivered = Assert.Single(await fixture.DeliveredAsync(swaks.MessageId, message.Subject));
        message.AssertDelivered(delivered, swaks.MessageId);
        var events = (await fixture.History.GetJsonAsync($"/messages/{swaks.MessageId}/events"))!.Value;
        return (swaks.MessageId, events[0].GetProperty("data"), delivered);
    }

    [Fact]
    public async Task swaks_with_a_v1_header_is_recorded_as_its_real_client()
    {
        var (id, received, delivered) = await SendAsync(fixture.Settings.SmtpPort, "--proxy-version", "1", "--proxy-family", "TCP4",
            "--proxy-source", "203.0.113.7", "--proxy-source-port", "40001", "--proxy-dest", "198.51.100.25", "--proxy-dest-port", "25");
        Assert.Equal("203.0.113.7", received.GetProperty("hostAddress").GetString());
        Assert.Equal(40001, received.GetProperty("hostPort").GetInt32());
        var proxy = received.GetProperty("proxy");
        Assert.Equal("198.51.100.25", proxy.GetProperty("externalAddress").GetString());
        Assert.Equal(25, proxy.GetProperty("externalPort").GetInt32());
        Assert.Equal("127.0.0.1", proxy.GetProperty("localAddress").GetString());
        Assert.Equal(1, proxy.GetProperty("version").GetInt32());
        var output = await fixture.Pipeline.WaitForOutputAsync($"{id} <= s@origin.test H=(");
        Assert.Contains("[203.0.113.7]:40001 P=esmtp PRX=[127.0.0.1]:", output, StringComparison.Ordinal);
        // The rules saw Exim's proxy variables.
        Assert.Contains("X-Proxied: 203.0.113.7:40001 via 198.51.100.25:25", delivered, StringComparison.Ordinal);
        await fixture.Pipeline.WaitForOutputAsync("proxied session from 203.0.113.7 through 127.0.0.1");
    }

    [Fact]
    public async Task swaks_with_a_v2_ipv6_header_is_recorded_as_its_real_client()
    {
        var (_, received, _) = await SendAsync(fixture.Settings.SmtpPort, "--proxy-version", "2", "--proxy-family", "AF_INET6",
            "--proxy-source", "2001:db8::7", "--proxy-source-port", "40002", "--proxy-dest", "2001:db8::25", "--proxy-dest-port", "587");
        Assert.Equal("2001:db8::7", received.GetProperty("hostAddress").GetString());
        Assert.Equal("2001:db8::25", received.GetProperty("proxy").GetProperty("externalAddress").GetString());
        Assert.Equal(2, received.GetProperty("proxy").GetProperty("version").GetInt32());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task haproxy_passes_on_its_clients_address(int version)
    {
        await using var haproxy = await HaProxy.StartAsync(fixture.Settings.SmtpPort);
        // The client talks to haproxy from 127.0.0.3; haproxy talks to ingress from 127.0.0.1.
        var (_, received, _) = await SendAsync(version == 1 ? haproxy.V1Port : haproxy.V2Port, "--local-interface", "127.0.0.3");
        Assert.Equal("127.0.0.3", received.GetProperty("hostAddress").GetString());
        Assert.Equal("127.0.0.1", received.GetProperty("proxy").GetProperty("externalAddress").GetString());
        Assert.Equal(version == 1 ? haproxy.V1Port : haproxy.V2Port, received.GetProperty("proxy").GetProperty("externalPort").GetInt32());
        Assert.Equal(version, received.GetProperty("proxy").GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task a_required_host_that_sends_no_header_gets_503_for_everything_but_quit()
    {
        await using var client = await RawSmtpClient.ConnectAsync(fixture.Settings.SmtpPort);
        // The banner comes once the timeout is over.
        Assert.StartsWith("220 ", await client.ReadReplyAsync(TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
        Assert.Equal("503 Command refused, required Proxy negotiation failed", await client.CommandAsync("EHLO client.test"));
        Assert.Equal("503 Command refused, required Proxy negotiation failed", await client.CommandAsync("MAIL FROM:<s@origin.test>"));
        Assert.StartsWith("221 ", await client.CommandAsync("QUIT"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_required_host_that_sends_a_bad_header_gets_503()
    {
        await using var client = await RawSmtpClient.ConnectAsync(fixture.Settings.SmtpPort);
        await client.SendAsync("PROXY TCP4 203.0.113.7 198.51.100.25 040001 25\r\n");
        Assert.StartsWith("220 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.Equal("503 Command refused, required Proxy negotiation failed", await client.CommandAsync("EHLO client.test"));
    }

    // v2 headers whose length field lies (haproxy's proxy-protocol.txt §2.2): the signature,
    // version 2 PROXY, then the family and transport byte, the length, and what follows.
    private static byte[] V2(byte family, ushort length, params byte[] rest) =>
        [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, family, (byte)(length >> 8), (byte)length, .. rest];

    private static readonly byte[] Ipv4Block = [203, 0, 113, 7, 198, 51, 100, 25, 0x9C, 0x41, 0x00, 0x19];

    public static TheoryData<string, byte[]> LyingHeaders => new()
    {
        // Claims more than comes: what follows (the client's EHLO) would be taken as the header's rest.
        { "longer than sent", V2(0x11, 500, [.. Ipv4Block, .. "EHLO client.test\r\n"u8]) },
        // Too short for the addresses of its family.
        { "shorter than an IPv4 block", V2(0x11, 4, 203, 0, 113, 7) },
        { "shorter than an IPv6 block", V2(0x21, 12, Ipv4Block) },
        // The addresses, then a TLV claiming more than the header holds.
        { "a TLV past the end", V2(0x11, 12 + 3, [.. Ipv4Block, 0x04, 0x01, 0x00]) },
        // v1 longer than its 107-byte limit.
        { "a v1 line past 107 bytes", System.Text.Encoding.ASCII.GetBytes($"PROXY TCP4 203.0.113.7 198.51.100.25 40001 25 {new string('x', 80)}\r\n") },
    };

    [Theory]
    [MemberData(nameof(LyingHeaders))]
    public async Task a_header_that_lies_about_its_length_gets_503_and_takes_no_command(string lie, byte[] header)
    {
        await using var client = await RawSmtpClient.ConnectAsync(fixture.Settings.SmtpPort);
        await client.SendAsync(header);
        Assert.StartsWith("220 ", await client.ReadReplyAsync(TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
        // Whatever the header swallowed or left behind, every command but QUIT gets 503: the
        // bytes of a failed header (a command among them) are never taken as trusted.
        var replies = new List<string> { await client.CommandAsync("EHLO client.test"), await client.CommandAsync("MAIL FROM:<s@origin.test>") };
        await client.SendAsync("QUIT\r\n");
        for (var reply = await client.ReadReplyAsync(); reply.Length > 0; reply = await client.ReadReplyAsync())
            replies.Add(reply);
        Assert.True(replies[^1].StartsWith("221 ", StringComparison.Ordinal), $"{lie}: {string.Join(" | ", replies)}");
        Assert.All(replies[..^1], r => Assert.Equal("503 Command refused, required Proxy negotiation failed", r));
    }

    [Fact]
    public async Task a_header_from_a_host_not_in_hosts_proxy_is_never_trusted()
    {
        await using var client = await RawSmtpClient.ConnectAsync(fixture.Settings.SmtpPort, from: "127.0.0.2");
        Assert.StartsWith("220 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("500 unrecognized command PROXY", await client.CommandAsync("PROXY TCP4 203.0.113.7 198.51.100.25 40001 25"), StringComparison.Ordinal);
        Assert.Contains("[127.0.0.2]", await client.CommandAsync("EHLO client.test"), StringComparison.Ordinal);
    }
}
