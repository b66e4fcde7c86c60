using Pipeline.Infrastructure.Hosting;
using System.Net;
using Microsoft.Extensions.Hosting;
using Pipeline.Contracts.Events;
using Pipeline.Delivery.EventActions;
using Pipeline.Infrastructure.Store;

namespace Pipeline.Delivery.Smtp;

/// <summary>
/// Open SMTP connections waiting for their next transaction, per <see cref="ConnectionKey"/>:
/// messages for the same server, reached by the same name from the same interface and secured
/// the same way, go down one connection, one after the other, instead of each opening its own
/// (Exim does the same within a queue run); messages bound to different interfaces, or for
/// another name on the same address, never share one. A connection carries at
/// most <see cref="DeliveryOptions.ConnectionMaxMessages"/> transactions and waits idle at
/// most <see cref="DeliveryOptions.ConnectionIdleTimeout"/>; then it says QUIT, and its
/// <c>tcp:close</c> is written on its own stream.
/// </summary>
public sealed class ConnectionPool(SmtpTransport transport, DeliveryOptions options, StreamEventWriter events, IEventAction eventAction)
    : BackgroundService
{
    private readonly Dictionary<ConnectionKey, Stack<SmtpClientConnection>> _idle = [];

    /// <summary>An idle connection made as <paramref name="key"/> says, or null.</summary>
    public SmtpClientConnection? TryTake(ConnectionKey key)
    {
        lock (_idle)
        {
            if (!_idle.TryGetValue(key, out var stack) || !stack.TryPop(out var connection))
                return null;
            if (stack.Count == 0)
                _idle.Remove(key);
            return connection;
        }
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
            if (!_idle.TryGetValue(connection.Key, out var stack))
                _idle[connection.Key] = stack = new Stack<SmtpClientConnection>();
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
            foreach (var (key, stack) in _idle.ToList())
            {
                var keep = stack.Where(c => c.IdleSince > idleBefore).Reverse().ToList();
                expired.AddRange(stack.Where(c => c.IdleSince <= idleBefore));
                if (keep.Count == 0)
                    _idle.Remove(key);
                else
                    _idle[key] = new Stack<SmtpClientConnection>(keep);
            }
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        foreach (var connection in expired)
            await CloseAsync(connection, "idle", timeout.Token).ConfigureAwait(false);
    }
}
