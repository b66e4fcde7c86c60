using System.Net;
using Pipeline.Contracts.Events;
using Pipeline.Delivery.Retry;
using Pipeline.Delivery.Routing;

namespace Pipeline.Delivery.Smtp;

/// <summary>
/// One transaction of one attempt at one server, and which connection carries it: one the
/// attempt already holds with the same <see cref="ConnectionKey"/>, an idle one of that key from
/// the <see cref="ConnectionPool"/>, or a new one (<see cref="ConnectionOpener"/>). Every
/// connection in use holds one of its server's slots (<see cref="ServerSlots"/>) until the
/// attempt is recorded; an attempt never waits for a slot while it holds one, so no two
/// attempts wait for each other and none waits for itself.
/// </summary>
internal sealed class ServerDelivery(SmtpTransport transport, ConnectionPool pool, ServerSlots slots, ConnectionOpener opener, HostRetry hostRetry)
{
    /// <summary>
    /// Runs the transaction for <paramref name="recipients"/> at <paramref name="key"/>'s server,
    /// over a connection this attempt already holds, an idle one from the pool, or a new one.
    /// Null when the recipients were settled there, else why not (the host is then deferred).
    /// </summary>
    public async Task<string?> DeliverAsync(Attempt attempt, Route route, RouteHost host, ConnectionKey key, List<Recipient> recipients,
        byte[] content, CancellationToken cancellationToken)
    {
        IDisposable? slot = null;
        var kept = false;
        try
        {
            if (attempt.Holding(key) is { } mine)
            {
                // A connection this attempt opened or took for another group of its recipients,
                // secured the same way: another transaction on it, under the slot it holds.
                var again = await TransactAsync(mine.Connection, attempt, recipients, content, cancellationToken).ConfigureAwait(false);
                if (again.HostError is null)
                {
                    attempt.Record(again, mine.Connection, host, route);
                    return null;
                }

                slot = attempt.Release(mine);
                await opener.CloseAsync(attempt, mine.Connection, again.HostError, cancellationToken).ConfigureAwait(false);
            }
            else if ((slot = slots.TryEnter(key.Server)) is null && attempt.HoldingServer(key.Server) is { } other)
            {
                // No slot is free, and this attempt holds one of the server's for a connection
                // made otherwise (another interface, name or TLS requirement): that connection
                // closes and its slot serves this one, for waiting on another slot of a server
                // whose slots this attempt holds could wait for ever.
                slot = attempt.Release(other);
                await opener.CloseAsync(attempt, other.Connection, "quit: the server is needed for another kind of connection", cancellationToken)
                    .ConfigureAwait(false);
            }

            slot ??= await WaitForSlotAsync(attempt, key.Server, cancellationToken).ConfigureAwait(false);

            // The slot is held until the connection is back in the pool (after the attempt is
            // recorded), so that no more connections are open than slots. A connection left open
            // by an earlier message goes first; if the server dropped it meanwhile, a fresh one is
            // tried before the host is deferred.
            if (pool.TryTake(key) is { } idle)
            {
                var reused = await TransactAsync(idle, attempt, recipients, content, cancellationToken).ConfigureAwait(false);
                if (reused.HostError is null)
                {
                    attempt.Record(reused, idle, host, route);
                    attempt.Hold(idle, slot);
                    kept = true;
                    return null;
                }

                await pool.CloseAsync(idle, reused.HostError, cancellationToken).ConfigureAwait(false);
            }

            // A server that could not be reached waits for its retry time: not tried for every message.
            if (!attempt.Forced && hostRetry.Held(key.Server) is { } held)
            {
                attempt.HostDeferred(recipients, held, 0, host, key.Server, route.RouterName, type: hostRetry.HeldFor(key.Server));
                return held;
            }

            // Exim's tls_tempfail_tryclear: a TLS failure where TLS is not required is tried
            // again in the clear, on a new connection.
            var opened = await opener.OpenAsync(attempt, route, host, key, recipients, tryTls: true, cancellationToken).ConfigureAwait(false);
            if (opened.RetryInClear)
                opened = await opener.OpenAsync(attempt, route, host, key, recipients, tryTls: false, cancellationToken).ConfigureAwait(false);
            if (opened.Connection is not { } connection)
                return opened.Error;

            var result = await TransactAsync(connection, attempt, recipients, content, cancellationToken).ConfigureAwait(false);
            if (result.HostError is not null)
            {
                await opener.CloseAsync(attempt, connection, result.HostError, cancellationToken).ConfigureAwait(false);
                if (result.RequireTlsRefused)
                    attempt.RequireTlsRefused(recipients, result.HostError, host, key.Server, route.RouterName, connection.Proxy?.ToString());
                else
                    attempt.HostDeferred(recipients, result.HostError, 0, host, key.Server, route.RouterName, connection.Proxy?.ToString(),
                        result.HostErrorType);
                return result.HostError;
            }

            attempt.Record(result, connection, host, route);
            attempt.Hold(connection, slot);
            kept = true;
            return null;
        }
        finally
        {
            if (!kept)
                slot?.Dispose();
        }
    }

    // One transaction. When it is cut short by cancellation or an unexpected exception, a
    // connection the attempt holds closes with the attempt; any other is dropped here, for
    // nothing else would close it.
    private async Task<TransportResult> TransactAsync(SmtpClientConnection connection, Attempt attempt, List<Recipient> recipients, byte[] content,
        CancellationToken cancellationToken)
    {
        try
        {
            return await transport.SendAsync(connection, attempt.Received, recipients, content, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (attempt.Held.TrueForAll(h => h.Connection != connection))
                await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // No slot of the server is free: before waiting, this attempt gives back every connection it
    // holds, closing them, so that it never waits for one server while keeping another waiting
    // (two attempts taking two servers in opposite orders would wait for each other for ever).
    private async Task<IDisposable> WaitForSlotAsync(Attempt attempt, IPEndPoint server, CancellationToken cancellationToken)
    {
        foreach (var held in attempt.Held.ToList())
        {
            var slot = attempt.Release(held);
            try
            {
                await opener.CloseAsync(attempt, held.Connection, "quit: the attempt gives its connections back before it waits for a server",
                    cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                slot.Dispose();
            }
        }

        return await slots.EnterAsync(server, cancellationToken).ConfigureAwait(false);
    }
}
