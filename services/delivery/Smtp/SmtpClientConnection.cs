using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Pipeline.Delivery.Protocol;
using Org.BouncyCastle.Tls;
using Pipeline.Delivery.Socks;
using Pipeline.Delivery.Tls;

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
    private PipeReader _input;
    private Stream _stream;
    private TlsClientProtocol? _tls;

    private SmtpClientConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream);
        DeliveryMetrics.ConnectionsOut.Add(1);
    }

    // Set once disposed, so that the connection leaves the open count once.
    private int _disposed;

    /// <summary>The local end, for <c>$sending_ip_address</c> and <c>$sending_port</c>.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>The TCP peer: the server, or the SOCKS proxy in front of it.</summary>
    public IPEndPoint RemoteEndPoint => (IPEndPoint)_socket.RemoteEndPoint!;

    /// <summary>The server, reached directly or through <see cref="Proxy"/>.</summary>
    public IPEndPoint Server { get; private set; } = null!;

    /// <summary>The TLS session after STARTTLS, or null while the connection is in the clear.</summary>
    public TlsSessionInfo? Tls { get; private set; }

    /// <summary>The connection's stream key in the event store.</summary>
    public string Id { get; } = $"out-{Guid.CreateVersion7():N}";

    /// <summary>The name of the host it reaches (<c>$host</c>), as the route or MX record gave it.</summary>
    public string HostName { get; set; } = "";

    /// <summary>How it was made and secured, and so which deliveries may share it.</summary>
    public ConnectionKey Key { get; set; } = null!;

    /// <summary>The server's EHLO reply, once the session is open; null after HELO.</summary>
    public SmtpReply? Hello { get; set; }

    /// <summary>How many transactions it carried to their end (a broken one does not count).</summary>
    public int Transactions { get; set; }

    /// <summary>When it was last handed back idle.</summary>
    public DateTimeOffset IdleSince { get; set; }

    /// <summary>Connects to <paramref name="server"/> within <paramref name="timeout"/>.</summary>
    /// <exception cref="SocketException">The connection failed or timed out (<see cref="SocketError.TimedOut"/>).</exception>
    private static async Task<SmtpClientConnection> ConnectDirectAsync(IPEndPoint server, TimeSpan timeout, IPAddress? local,
        CancellationToken cancellationToken)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (local is not null)
            socket.Bind(new IPEndPoint(local, 0));
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
    /// that can be reached, tried by priority and weight (<see cref="SocksProxyOrder"/>, Exim's
    /// <c>socks_proxy</c>), or directly when there are none.
    /// <paramref name="timeout"/> covers all the attempts; each proxy's own <c>tmo</c> bounds
    /// its share. A proxy that cannot be reached passes the turn to the next; one that is
    /// reached but refuses ends the attempt, as the server is then what failed.
    /// </summary>
    /// <exception cref="SocketException">No proxy could be reached, or the direct connection failed.</exception>
    /// <exception cref="SocksException">A proxy refused the authentication or the connection to the server.</exception>
    public static async Task<SmtpClientConnection> ConnectAsync(IPEndPoint server, TimeSpan timeout,
        IReadOnlyList<SocksProxy> proxies, IPAddress? local, CancellationToken cancellationToken)
    {
        if (proxies.Count == 0)
            return await ConnectDirectAsync(server, timeout, local, cancellationToken).ConfigureAwait(false);

        var deadline = DateTimeOffset.UtcNow + timeout;
        SocketException? last = null;
        foreach (var proxy in SocksProxyOrder.Arrange(proxies, Random.Shared))
        {
            var left = deadline - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero)
                break;
            var share = left < proxy.Timeout ? left : proxy.Timeout;
            SmtpClientConnection connection;
            try
            {
                connection = await ConnectDirectAsync(proxy.EndPoint, share,
                    local?.AddressFamily == proxy.Address.AddressFamily ? local : null, cancellationToken).ConfigureAwait(false);
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
                    throw new SmtpProtocolException("connection closed by the server", null, SmtpProtocolFailure.LostConnection);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SmtpProtocolException($"timeout after {timeout.TotalSeconds:0}s waiting for a reply", null, SmtpProtocolFailure.Timeout);
        }
        catch (IOException e)
        {
            // Under TLS, reads are bounded by the socket's own timeout, which surfaces as an IOException.
            throw new SmtpProtocolException(e.Message, e, e.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut }
                ? SmtpProtocolFailure.Timeout
                : SmtpProtocolFailure.LostConnection);
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

    /// <summary>
    /// Sends one BDAT chunk (RFC 3030 §2): the command, then the bytes exactly as they are (no
    /// dot-stuffing, no terminator), and reads its reply.
    /// </summary>
    public async Task<SmtpReply> SendChunkAsync(ReadOnlyMemory<byte> chunk, bool last, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await WriteAsync(Encoding.ASCII.GetBytes($"BDAT {chunk.Length}{(last ? " LAST" : "")}\r\n"), cancellationToken).ConfigureAwait(false);
        await WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
        return await ReadReplyAsync(timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Negotiates TLS after the server's 220 to STARTTLS (RFC 3207); from then on every byte
    /// goes through the session. <paramref name="readTimeout"/> bounds each read on it.
    /// </summary>
    /// <exception cref="TlsNegotiationException">The handshake failed, or a required check of the server's certificate did.</exception>
    /// <exception cref="SmtpProtocolException">The server sent more after its 220.</exception>
    internal async Task StartTlsAsync(DeliveryTlsClient client, TimeSpan readTimeout, CancellationToken cancellationToken)
    {
        // Nothing may follow the 220 in the clear: bytes already read would pass for protected ones.
        if (_input.TryRead(out var pending))
        {
            var injected = !pending.Buffer.IsEmpty;
            _input.AdvanceTo(pending.Buffer.Start);
            if (injected)
                throw new SmtpProtocolException("the server sent data after its 220 to STARTTLS");
        }

        // BouncyCastle's TLS reads and writes synchronously: the socket's own timeouts bound them.
        _socket.ReceiveTimeout = _socket.SendTimeout = (int)Math.Min(int.MaxValue, readTimeout.TotalMilliseconds);
        var protocol = new TlsClientProtocol(_stream);
        try
        {
            await Task.Run(() => protocol.Connect(client), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new TlsNegotiationException(client.Problem ?? e.Message, e);
        }

        _tls = protocol;
        _stream = protocol.Stream;
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        Tls = client.Session;
    }

    private async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new SmtpProtocolException(e.Message, e, SmtpProtocolFailure.LostConnection);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            DeliveryMetrics.ConnectionsOut.Add(-1);
        await _input.CompleteAsync().ConfigureAwait(false);
        try
        {
            _tls?.Close();
        }
        catch (IOException)
        {
            // The server went first; the socket closes all the same.
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
    }
}
