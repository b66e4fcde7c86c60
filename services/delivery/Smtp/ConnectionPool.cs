using Pipeline.Infrastructure.Hosting;
using System.Net;
using Microsoft.Extensions.Hosting;
using Pipeline.Contracts.Events;
using Pipeline.Delivery.EventActions;
using Pipeline.Infrastructure.Store;

namespace Pipeline.Delivery.Smtp;

/// <summary>
/// Open SMTP connections waiting for their next transaction, per server address and port and
/// local interface: messages for the same server sent from the same interface go down one
/// connection, one after the other, instead of each opening its own (Exim does the same within
/// a queue run); messages bound to different interfaces never share one. A connection carries at
/// most <see cref="DeliveryOptions.ConnectionMaxMessages"/> transactions and waits idle at
/// most <see cref="DeliveryOptions.ConnectionIdleTimeout"/>; then it says QUIT, and its
/// <c>tcp:close</c> is written on its own stream.
/// </summary>
public sealed class ConnectionPool(SmtpTransport transport, DeliveryOptions options, StreamEventWriter events, IEventAction eventAction)
    : BackgroundService
{
    private readonly Dictionary<(IPEndPoint Server, IPAddress? Interface), Stack<SmtpClientConnection>> _idle = [];

    /// <summary>An idle connection to <paramref name="server"/> from <paramref name="local"/> (null: the system's choice), or null.</summary>
    public SmtpClientConnection? TryTake(IPEndPoint server, IPAddress? local)
    {
        lock (_idle)
            return _idle.TryGetValue((server, local), out var stack) && stack.TryPop(out var connection) ? connection : null;
    }

    /// <summary>Hands a connection back after a completed transaction; it closes when it has carried enough.</summary>
    public async Task ReturnAsync(SmtpClientConnection connection, CancellationToken cancellationToken)
    {
        if (connection.Transactions >= options.ConnectionMaxMessages || cancellationToken.IsCancellationRequested)
        {
            await CloseAsync(connection, "quit", cancellationToken).ConfigureAwait(false);
            return;
        }

        connection.IdleSince = DateTimeOffset.UtcNow;
        lock (_idle)
        {
            var key = (connection.Server, connection.Interface);
            if (!_idle.TryGetValue(key, out var stack))
                _idle[key] = stack = new Stack<SmtpClientConnection>();
            stack.Push(connection);
        }
    }

    /// <summary>Closes a connection that is not going back to the pool, recording its <c>tcp:close</c>.</summary>
    public async Task CloseAsync(SmtpClientConnection connection, string reason, CancellationToken cancellationToken)
    {
        var server = connection.RemoteEndPoint;
        await transport.CloseAsync(connection, cancellationToken).ConfigureAwait(false);
        var address = server.Address.ToText();
        var closed = new TcpClosed(connection.Id, Direction.Outbound, address, server.Port, reason, connection.Transactions);
        await eventAction.RaiseAsync("tcp:close", closed, CancellationToken.None).ConfigureAwait(false);
        await events.EnqueueAsync(connection.Id, [closed], CancellationToken.None).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), stoppingToken).ConfigureAwait(false);
                await CloseIdleAsync(DateTimeOffset.UtcNow - options.ConnectionIdleTimeout).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: close them all below.
        }

        await CloseIdleAsync(DateTimeOffset.MaxValue).ConfigureAwait(false);
    }

    private async Task CloseIdleAsync(DateTimeOffset idleBefore)
    {
        var expired = new List<SmtpClientConnection>();
        lock (_idle)
        {
            foreach (var (server, stack) in _idle.ToList())
            {
                var keep = stack.Where(c => c.IdleSince > idleBefore).Reverse().ToList();
                expired.AddRange(stack.Where(c => c.IdleSince <= idleBefore));
                if (keep.Count == 0)
                    _idle.Remove(server);
                else
                    _idle[server] = new Stack<SmtpClientConnection>(keep);
            }
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        foreach (var connection in expired)
            await CloseAsync(connection, "idle", timeout.Token).ConfigureAwait(false);
    }
}
