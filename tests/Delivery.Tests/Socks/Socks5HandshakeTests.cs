using System.Net;
using Pipeline.Delivery.Socks;

namespace Pipeline.Delivery.Tests.Socks;

/// <summary>The handshake's bytes against a scripted proxy (a real one, microsocks, is in the end-to-end tests).</summary>
public class Socks5HandshakeTests
{
    // A stream that answers with fixed bytes and records what the client wrote.
    private sealed class ScriptedProxy(byte[] answers) : Stream
    {
        private readonly MemoryStream _in = new(answers);

        public MemoryStream Written { get; } = new();

        public override int Read(byte[] buffer, int offset, int count) => _in.Read(buffer, offset, count);
        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private static readonly IPEndPoint Target = new(IPAddress.Parse("192.0.2.25"), 25);

    [Fact]
    public async Task Without_authentication_it_offers_none_and_sends_an_ipv4_connect()
    {
        var proxy = new ScriptedProxy([5, 0, 5, 0, 0, 1, 127, 0, 0, 1, 0x30, 0x39]);
        await Socks5Handshake.ConnectAsync(proxy, SocksProxy.Parse("127.0.0.1"), Target, CancellationToken.None);
        Assert.Equal([5, 1, 0, 5, 1, 0, 1, 192, 0, 2, 25, 0, 25], proxy.Written.ToArray());
    }

    [Fact]
    public async Task With_a_name_it_offers_only_rfc_1929_and_sends_the_credentials()
    {
        var proxy = new ScriptedProxy([5, 2, 1, 0, 5, 0, 0, 4, .. new byte[16], 0, 25]);
        var target = new IPEndPoint(IPAddress.Parse("2001:db8::1"), 587);
        await Socks5Handshake.ConnectAsync(proxy, SocksProxy.Parse("127.0.0.1 auth=name name=ab pass=xyz"), target, CancellationToken.None);
        byte[] expected = [5, 1, 2, 1, 2, (byte)'a', (byte)'b', 3, (byte)'x', (byte)'y', (byte)'z', 5, 1, 0, 4, .. target.Address.GetAddressBytes(), 2, 75];
        Assert.Equal(expected, proxy.Written.ToArray());
    }

    [Theory]
    [InlineData(new byte[] { 5, 0xFF }, "accepts none of the offered authentication methods (none)")]
    [InlineData(new byte[] { 4, 0 }, "does not speak SOCKS5")]
    [InlineData(new byte[] { 5, 0, 5, 5, 0, 1 }, "could not connect to [192.0.2.25]:25: connection refused")]
    [InlineData(new byte[] { 5, 0, 5, 2, 0, 1 }, "connection not allowed by ruleset")]
    [InlineData(new byte[] { 5, 0, 5 }, "closed the connection during the SOCKS negotiation")]
    public async Task Refusals_are_reported_with_the_proxys_reason(byte[] answers, string expected)
    {
        var e = await Assert.ThrowsAsync<SocksException>(() =>
            Socks5Handshake.ConnectAsync(new ScriptedProxy(answers), SocksProxy.Parse("127.0.0.1"), Target, CancellationToken.None));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_password_is_reported_without_the_password()
    {
        var e = await Assert.ThrowsAsync<SocksException>(() => Socks5Handshake.ConnectAsync(
            new ScriptedProxy([5, 2, 1, 1]), SocksProxy.Parse("127.0.0.1 auth=name name=ab pass=xyz"), Target, CancellationToken.None));
        Assert.Equal("proxy [127.0.0.1]:1080 refused the username and password (status 1)", e.Message);
    }
}
