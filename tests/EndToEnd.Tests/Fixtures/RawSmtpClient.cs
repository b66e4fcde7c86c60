using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// A deliberately dumb SMTP client for exact transcripts: it sends the bytes it is given, as
/// they are, and reads whole replies. For what swaks cannot send (bare LFs, BDAT, early talk).
/// </summary>
public sealed class RawSmtpClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private Stream _stream;
    private readonly List<byte> _pending = [];

    private RawSmtpClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/>, from <paramref name="from"/> when given.</summary>
    public static async Task<RawSmtpClient> ConnectAsync(int port, string? from = null)
    {
        var tcp = from is null ? new TcpClient() : new TcpClient(new IPEndPoint(IPAddress.Parse(from), 0));
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        return new RawSmtpClient(tcp);
    }

    /// <summary>
    /// STARTTLS (RFC 3207): says it, expects 220, and goes on over TLS, trusting the server's
    /// certificate whatever it is (the server's checks are what a test looks at).
    /// </summary>
    public async Task StartTlsAsync()
    {
        Assert.StartsWith("220", await CommandAsync("STARTTLS"), StringComparison.Ordinal);
        Assert.Empty(_pending);
        var tls = new System.Net.Security.SslStream(_stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("mail.test");
        _stream = tls;
    }

    /// <summary>Sends the text as UTF-8, control characters and all.</summary>
    public async Task SendAsync(string raw) => await _stream.WriteAsync(Encoding.UTF8.GetBytes(raw));

    /// <summary>Sends bytes as they are: invalid UTF-8, NULs, a TLS record.</summary>
    public async Task SendAsync(byte[] raw) => await _stream.WriteAsync(raw);

    /// <summary>Sends a command line and reads its reply.</summary>
    public async Task<string> CommandAsync(string line)
    {
        await SendAsync(line + "\r\n");
        return await ReadReplyAsync();
    }

    /// <summary>Opens a transaction from <paramref name="from"/> to <paramref name="to"/> up to the 354 of DATA.</summary>
    public async Task StartDataAsync(string from, string to)
    {
        Assert.StartsWith("250", await CommandAsync($"MAIL FROM:<{from}>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await CommandAsync($"RCPT TO:<{to}>"), StringComparison.Ordinal);
        Assert.StartsWith("354", await CommandAsync("DATA"), StringComparison.Ordinal);
    }

    /// <summary>Reads one whole reply; its lines joined by \n. Empty when the server closed.</summary>
    public async Task<string> ReadReplyAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        var lines = new List<string>();
        while (true)
        {
            var line = await ReadLineAsync(cts.Token);
            if (line is null)
                return string.Join('\n', lines);
            lines.Add(line);
            if (line.Length < 4 || line[3] == ' ')
                return string.Join('\n', lines);
        }
    }

    /// <summary>True when the server closed the connection (within the timeout).</summary>
    public async Task<bool> ClosedAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            return await ReadLineAsync(cts.Token) is null;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        var buffer = new byte[4096];
        while (true)
        {
            var end = _pending.IndexOf((byte)'\n');
            if (end >= 0)
            {
                var line = Encoding.UTF8.GetString(_pending.GetRange(0, end).ToArray()).TrimEnd('\r');
                _pending.RemoveRange(0, end + 1);
                return line;
            }

            var read = await _stream.ReadAsync(buffer, ct);
            if (read == 0)
                return null;
            _pending.AddRange(buffer.AsSpan(0, read));
        }
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
