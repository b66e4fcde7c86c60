using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Pipeline.Delivery.Protocol;
using Pipeline.Delivery.Socks;

namespace Pipeline.Delivery.Smtp;

/// <summary>
/// One outbound SMTP connection (RFC 5321 client side): connects with a deadline, reads
/// replies, sends commands and dot-stuffed data. It knows nothing of messages or routing.
/// Every wait is bounded; a broken conversation throws <see cref="SmtpProtocolException"/>
/// or <see cref="SocketException"/>, after which the connection is unusable.
/// </summary>
public sealed class SmtpClientConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly PipeReader _input;
    private readonly Stream _stream;

    private SmtpClientConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream);
    }

    /// <summary>The local end, for <c>$sending_ip_address</c> and <c>$sending_port</c>.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>The TCP peer: the server, or the SOCKS proxy in front of it.</summary>
    public IPEndPoint RemoteEndPoint => (IPEndPoint)_socket.RemoteEndPoint!;

    /// <summary>The server, reached directly or through <see cref="Proxy"/>.</summary>
    public IPEndPoint Server { get; private set; } = null!;

    /// <summary>The connection's stream key in the event store.</summary>
    public string Id { get; } = $"out-{Guid.CreateVersion7():N}";

    /// <summary>The name of the host it reaches (<c>$host</c>).</summary>
    public string HostName { get; set; } = "";

    /// <summary>The server's EHLO reply, once the session is open; null after HELO.</summary>
    public SmtpReply? Hello { get; set; }

    /// <summary>How many transactions it carried.</summary>
    public int Transactions { get; set; }

    /// <summary>When it was last handed back idle.</summary>
    public DateTimeOffset IdleSince { get; set; }

    /// <summary>Connects to <paramref name="server"/> within <paramref name="timeout"/>.</summary>
    /// <exception cref="SocketException">The connection failed or timed out (<see cref="SocketError.TimedOut"/>).</exception>
    public static async Task<SmtpClientConnection> ConnectAsync(IPEndPoint server, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(server, deadline.Token).ConfigureAwait(false);
            return new SmtpClientConnection(socket) { Server = server };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new SocketException((int)SocketError.TimedOut);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Connects to <paramref name="server"/> through the first of <paramref name="proxies"/>
    /// that can be reached (Exim's <c>socks_proxy</c>), or directly when there are none.
    /// <paramref name="timeout"/> covers all the attempts; each proxy's own <c>tmo</c> bounds
    /// its share. A proxy that cannot be reached passes the turn to the next; one that is
    /// reached but refuses ends the attempt, as the server is then what failed.
    /// </summary>
    /// <exception cref="SocketException">No proxy could be reached, or the direct connection failed.</exception>
    /// <exception cref="SocksException">A proxy refused the authentication or the connection to the server.</exception>
    public static async Task<SmtpClientConnection> ConnectAsync(IPEndPoint server, TimeSpan timeout,
        IReadOnlyList<SocksProxy> proxies, CancellationToken cancellationToken)
    {
        if (proxies.Count == 0)
            return await ConnectAsync(server, timeout, cancellationToken).ConfigureAwait(false);

        var deadline = DateTimeOffset.UtcNow + timeout;
        SocketException? last = null;
        foreach (var proxy in proxies)
        {
            var left = deadline - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero)
                break;
            var share = left < proxy.Timeout ? left : proxy.Timeout;
            SmtpClientConnection connection;
            try
            {
                connection = await ConnectAsync(proxy.EndPoint, share, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                last = e;
                continue;
            }

            using var negotiation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            negotiation.CancelAfter(share);
            try
            {
                await Socks5Handshake.ConnectAsync(connection._stream, proxy, server, negotiation.Token).ConfigureAwait(false);
                connection.Proxy = proxy;
                connection.Server = server;
                return connection;
            }
            catch (Exception e) when (e is IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw new SocksException(e is OperationCanceledException
                    ? $"proxy {proxy} did not complete the SOCKS negotiation in time"
                    : $"proxy {proxy}: {e.Message}");
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.TimedOut);
    }

    /// <summary>The SOCKS5 proxy the connection goes through, or null when it is direct.</summary>
    public SocksProxy? Proxy { get; private set; }

    /// <summary>Reads the next reply within <paramref name="timeout"/>.</summary>
    /// <exception cref="SmtpProtocolException">The reply is malformed, the server closed, or it timed out.</exception>
    public async Task<SmtpReply> ReadReplyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync(deadline.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (ReplyParser.TryParse(ref buffer, out var reply))
                {
                    _input.AdvanceTo(buffer.Start);
                    return reply!;
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                    throw new SmtpProtocolException("connection closed by the server");
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SmtpProtocolException($"timeout after {timeout.TotalSeconds:0}s waiting for a reply");
        }
        catch (IOException e)
        {
            throw new SmtpProtocolException(e.Message, e);
        }
    }

    /// <summary>Sends one command line and reads its reply.</summary>
    public async Task<SmtpReply> CommandAsync(string command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await WriteAsync(Encoding.UTF8.GetBytes(command + "\r\n"), cancellationToken).ConfigureAwait(false);
        return await ReadReplyAsync(timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends several command lines in one write (PIPELINING); their replies are read with <see cref="ReadReplyAsync"/>.</summary>
    public Task WriteCommandsAsync(IEnumerable<string> commands, CancellationToken cancellationToken) =>
        WriteAsync(Encoding.UTF8.GetBytes(string.Concat(commands.Select(c => c + "\r\n"))), cancellationToken);

    /// <summary>Ends a DATA phase with no content (a lone terminator) and reads the reply, which is ignored.</summary>
    public async Task AbortDataAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await WriteAsync(".\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await ReadReplyAsync(timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends the message content after a 354: every line beginning with a dot gets another
    /// (RFC 5321 §4.5.2), a final CRLF is added if missing, then <c>.CRLF</c>.
    /// </summary>
    public async Task<SmtpReply> SendDataAsync(ReadOnlyMemory<byte> content, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var output = new ArrayBufferWriter<byte>(content.Length + content.Length / 64 + 8);
        DotStuffing.Encode(content.Span, output);
        await WriteAsync(output.WrittenMemory, cancellationToken).ConfigureAwait(false);
        return await ReadReplyAsync(timeout, cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new SmtpProtocolException(e.Message, e);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _input.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
