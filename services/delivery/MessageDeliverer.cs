using Microsoft.Extensions.Logging;
using Pipeline.Infrastructure.Hosting;
using System.Net;
using System.Net.Sockets;
using JasperFx.Events;
using Marten;
using Pipeline.Contracts.Events;
using Pipeline.Contracts;
using Pipeline.Delivery.Bounces;
using Pipeline.Delivery.EventActions;
using Pipeline.Delivery.Retry;
using Pipeline.Delivery.Routing;
using Pipeline.Delivery.Signing;
using Pipeline.Delivery.Smtp;
using Pipeline.Delivery.Socks;
using Pipeline.Delivery.Tls;
using Pipeline.Infrastructure.Dns;
using Pipeline.Infrastructure.Logging;
using Pipeline.Infrastructure.Store;

namespace Pipeline.Delivery;

/// <summary>
/// One delivery attempt of one claimed message: reads its stream to learn which recipients
/// are still pending, routes them, runs a transaction per route, and appends the outcomes
/// (<c>msg:delivery</c>, <c>msg:host:defer</c>, <c>msg:fail:*</c>, then <c>msg:defer</c> or
/// <c>msg:complete</c>) through <see cref="OutcomeCommitter"/>, expecting the stream's version
/// unchanged, so that two workers can never both record an attempt.
/// </summary>
public sealed class MessageDeliverer(
    IDocumentStore store, RawMessageStore raw, Router router, SmtpTransport transport, ConnectionPool pool, ServerSlots slots, IEventAction eventAction, HostRetry hostRetry, OutcomeCommitter committer, DeliveryOptions options,
    DkimSigning signing, MainLog mainLog, TimeProvider clock, ILogger<MessageDeliverer> log)
{
    private readonly RetrySchedule _retry = RetrySchedule.Parse(options.RetryRules);

    /// <summary>
    /// Makes one attempt; throws only when nothing could be recorded. A <paramref name="forced"/>
    /// attempt (an operator's retry) tries hosts whose retry time has not come.
    /// </summary>
    public async Task DeliverAsync(string messageId, bool forced, CancellationToken cancellationToken)
    {
        var (stream, received, pending) = await ReadAsync(messageId, cancellationToken).ConfigureAwait(false);
        if (stream.Any(e => e.Data is MessageCompleted))
            return;

        var attempt = new Attempt(received, stream.Count(e => e.Data is MessageDeferred) + 1) { Forced = forced };

        var content = await raw.ReadAsync(messageId, cancellationToken).ConfigureAwait(false);
        if (content is null)
        {
            foreach (var recipient in pending)
                attempt.FailInternally(recipient, "message data is missing from the store", null);
        }
        else
        {
            await DeliverAllAsync(attempt, pending, signing.Sign(content), cancellationToken).ConfigureAwait(false);
        }

        // The connections go back to the pool only once the attempt is recorded: before, the
        // pool could close one and record its tcp:close ahead of (and in the way of) the
        // connection's first events, which the commit writes.
        try
        {
            attempt.Finish(stream, _retry, clock.GetUtcNow());
            var bounce = BounceFor(received, content, attempt);

            // The event action sees the attempt's other events before they are recorded; their
            // results veto nothing. (tcp:connect, smtp:connect and tls:cert went to it as they happened.)
            foreach (var e in attempt.Connections.Values.SelectMany(c => c).Where(e => e is not (TcpConnected or SmtpConnected or TlsCertificateSeen))
                         .Concat(attempt.Events))
            {
                try
                {
                    await eventAction.RaiseAsync(LifecycleEvents.NameOf(e.GetType()), e, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception failure) when (!cancellationToken.IsCancellationRequested)
                {
                    // The attempt happened: it is recorded whatever the hook does, or the message
                    // would go out again.
                    log.LogWarning(failure, "The event action failed on {Event} of {MessageId}", LifecycleEvents.NameOf(e.GetType()), messageId);
                }
            }

            await committer.CommitAsync(messageId, stream[^1].Version + attempt.Events.Count, attempt.Events.ToArray(),
                attempt.Connections, bounce, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            foreach (var connection in attempt.UsedConnections)
                await pool.CloseAsync(connection, "the attempt could not be recorded", CancellationToken.None).ConfigureAwait(false);
            attempt.ReleaseSlots();
            throw;
        }

        foreach (var connection in attempt.UsedConnections)
            await pool.ReturnAsync(connection, cancellationToken).ConfigureAwait(false);
        attempt.ReleaseSlots();
        attempt.WriteMainLog(mainLog);
    }

    /// <summary>
    /// Gives a claimed message up (an operator's cancel, Exim's <c>-Mg</c>): its pending
    /// recipients fail, the sender gets a bounce, and it completes. False when it was complete already.
    /// </summary>
    public async Task<bool> CancelAsync(string messageId, string by, CancellationToken cancellationToken)
    {
        var (stream, received, pending) = await ReadAsync(messageId, cancellationToken).ConfigureAwait(false);
        if (stream.Any(e => e.Data is MessageCompleted))
            return false;

        var attempt = new Attempt(received, stream.Count(e => e.Data is MessageDeferred) + 1);
        attempt.Cancel(pending, by);
        attempt.Finish(stream, _retry, clock.GetUtcNow());
        var content = await raw.ReadAsync(messageId, cancellationToken).ConfigureAwait(false);
        var bounce = BounceFor(received, content, attempt);
        await committer.CommitAsync(messageId, stream[^1].Version + attempt.Events.Count, attempt.Events.ToArray(), attempt.Connections, bounce,
            cancellationToken).ConfigureAwait(false);
        attempt.WriteMainLog(mainLog);
        return true;
    }

    // The message's stream, its msg:received, and the recipients no attempt has settled yet.
    private async Task<(IReadOnlyList<IEvent> Stream, MessageReceived Received, List<Recipient> Pending)> ReadAsync(string messageId,
        CancellationToken cancellationToken)
    {
        IReadOnlyList<IEvent> stream;
        await using (var query = store.QuerySession())
            stream = await query.Events.FetchStreamAsync(messageId, token: cancellationToken).ConfigureAwait(false);
        if (stream.Count == 0 || stream[0].Data is not MessageReceived received)
            throw new InvalidOperationException($"queued message {messageId} has no msg:received event");
        var settled = stream.Select(e => e.Data switch
        {
            RecipientDelivered d => d.Recipient.Address,
            RecipientFailed f => f.Recipient.Address,
            RecipientFailedInternally f => f.Recipient.Address,
            _ => null,
        }).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return (stream, received, received.Recipients.Where(r => !settled.Contains(r.Address)).ToList());
    }

    // The report to the sender of this attempt's failures, when one is due; it goes out like
    // any message, from the null sender, so that it can never bounce in turn.
    private OutcomeCommitter.Bounce? BounceFor(MessageReceived received, byte[]? content, Attempt attempt)
    {
        var failures = BounceMessage.Reportable(received, attempt.Failures);
        if (failures.Count == 0)
            return null;
        var now = clock.GetUtcNow();
        var data = BounceMessage.Create(received, content ?? [], failures, options.HeloData, options.BounceReturnSizeLimit, now);
        var bounce = new MessageReceived(MessageIds.New(now), ConnectionId: "", Sender: "", [Recipient.Parse(received.Sender)], data.Length,
            HostAddress: "", HostPort: 0, Helo: null, Protocol: "local", InterfaceAddress: "", InterfacePort: 0, now,
            SmtpUtf8: received.SmtpUtf8);
        attempt.Bounced(bounce);
        return new OutcomeCommitter.Bounce(bounce, data);
    }

    private async Task DeliverAllAsync(Attempt attempt, List<Recipient> pending, byte[] content, CancellationToken cancellationToken)
    {
        var groups = new Dictionary<string, (Route Route, List<Recipient> Recipients)>();
        foreach (var recipient in pending)
        {
            var routing = await router.RouteAsync(recipient.Domain, cancellationToken).ConfigureAwait(false);
            if (routing.Route is null)
            {
                if (routing.Temporary)
                {
                    attempt.DnsFailed($"{recipient.Domain} MX: {routing.Error}");
                    attempt.Defer(recipient, routing.Error!);
                }
                else
                    attempt.FailInternally(recipient, routing.Error!, "dnslookup");
                continue;
            }

            if (!groups.TryGetValue(routing.Route.Key, out var group))
                groups[routing.Route.Key] = group = (routing.Route, []);
            group.Recipients.Add(recipient);
        }

        foreach (var (route, recipients) in groups.Values)
            await DeliverRouteAsync(attempt, route, recipients, content, cancellationToken).ConfigureAwait(false);
    }

    // Tries the route's hosts in order until one settles the recipients.
    private async Task DeliverRouteAsync(Attempt attempt, Route route, List<Recipient> recipients, byte[] content,
        CancellationToken cancellationToken)
    {
        var lastError = "no host could be reached";
        foreach (var listed in route.Hosts)
        {
            var host = listed;
            var addresses = await router.ResolveAsync(host, cancellationToken).ConfigureAwait(false);
            if (addresses.Status != DnsStatus.Found)
            {
                lastError = $"host lookup for {host.Name} did not complete ({addresses.Status})";
                if (addresses.Status == DnsStatus.TemporaryFailure)
                    attempt.DnsFailed($"{host.Name} A/AAAA: {addresses.Error ?? "no answer"}");
                continue;
            }

            // RFC 7672 §2.2: DANE only for names whose MX and address lookups were validated.
            var daneEligible = route.Secure && addresses.Authenticated && !IPAddress.TryParse(host.Name, out _);
            host = host with { DnssecAuthenticated = daneEligible };
            DnsResult<TlsaRecord>? tlsa = null;
            foreach (var address in addresses.Records)
            {
                var server = new IPEndPoint(address, host.Port);
                if (daneEligible && tlsa is null && TlsHostPolicy.TryDane(options, address))
                    tlsa = await router.TlsaAsync(host, cancellationToken).ConfigureAwait(false);
                var (dane, daneError) = Dane(host, address, daneEligible, tlsa);
                if (daneError is not null)
                {
                    attempt.DaneFailed(daneError, host, server);
                    attempt.HostDeferred(recipients, daneError, 0, host, server, route.RouterName);
                    lastError = daneError;
                    continue;
                }

                // The slot is held until the connection is back in the pool (after the attempt is
                // recorded), so that no more connections are open than slots.
                var slot = await slots.EnterAsync(server, cancellationToken).ConfigureAwait(false);
                var slotKept = false;
                try
                {
                    // A connection left open by an earlier message goes first; if the server
                    // dropped it meanwhile, a fresh one is tried before the host is deferred.
                    if (pool.TryTake(server, route.InterfaceFor(address)) is { } open)
                    {
                        var reused = await transport.SendAsync(open, attempt.Received, recipients, content, cancellationToken).ConfigureAwait(false);
                        if (reused.HostError is null)
                        {
                            Record(attempt, reused, open, host, server, route);
                            attempt.Used(open, slot);
                            slotKept = true;
                            return;
                        }

                        await pool.CloseAsync(open, reused.HostError, cancellationToken).ConfigureAwait(false);
                    }

                    // A server that could not be reached waits for its retry time: not tried for every message.
                    if (!attempt.Forced && hostRetry.Held(server) is { } held)
                    {
                        attempt.HostDeferred(recipients, held, 0, host, server, route.RouterName);
                        lastError = held;
                        continue;
                    }

                    // Exim's tls_tempfail_tryclear: a TLS failure where TLS is not required is tried
                    // again in the clear, on a new connection.
                    var (done, error, retryInClear) = await TryConnectionAsync(attempt, route, host, server, recipients, content, true, dane,
                        cancellationToken).ConfigureAwait(false);
                    if (!done && retryInClear)
                        (done, error, _) = await TryConnectionAsync(attempt, route, host, server, recipients, content, false, null, cancellationToken)
                            .ConfigureAwait(false);
                    if (done)
                    {
                        attempt.Hold(slot);
                        slotKept = true;
                        return;
                    }

                    lastError = error!;
                }
                finally
                {
                    if (!slotKept)
                        slot.Dispose();
                }
            }
        }

        foreach (var recipient in recipients)
            attempt.Defer(recipient, lastError);
    }

    // One new connection to one server: connect (directly or through SOCKS), greet, STARTTLS
    // when wanted, one transaction. Done when the recipients were settled there.
    private async Task<(bool Done, string? Error, bool RetryInClear)> TryConnectionAsync(Attempt attempt, Route route, RouteHost host,
        IPEndPoint server, List<Recipient> recipients, byte[] content, bool tryTls, IReadOnlyList<TlsaRecord>? dane, CancellationToken cancellationToken)
    {
        // The event action's tcp:connect comes before the connection; a result means none is made.
        var local = route.InterfaceFor(server.Address);
        var planned = new TcpConnected("", Direction.Outbound, Address(server.Address), server.Port, local is null ? "" : Address(local), 0,
            host.Name, attempt.Received.MessageId);
        if (await eventAction.RaiseAsync("tcp:connect", planned, cancellationToken).ConfigureAwait(false) is { } veto)
        {
            var vetoed = $"the event action refused the connection at tcp:connect: {veto}";
            attempt.HostDeferred(recipients, vetoed, 0, host, server, route.RouterName);
            return (false, vetoed, false);
        }

        SmtpClientConnection connection;
        var proxies = options.SocksProxies;
        try
        {
            connection = await SmtpClientConnection.ConnectAsync(server, options.ConnectTimeout, proxies, local, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            var error = e.SocketErrorCode == SocketError.TimedOut ? "Connection timed out" : e.Message;
            if (proxies.Count > 0)
                error = $"no SOCKS proxy could be reached: {error}";
            else
                hostRetry.Failed(server, error);
            attempt.HostDeferred(recipients, error, e.ErrorCode, host, server, route.RouterName);
            return (false, error, false);
        }
        catch (SocksException e)
        {
            attempt.HostDeferred(recipients, e.Message, 0, host, server, route.RouterName);
            return (false, e.Message, false);
        }

        connection.HostName = host.Name;
        var bound = connection.LocalEndPoint;
        var peer = connection.RemoteEndPoint;
        attempt.Connection(connection.Id, new TcpConnected(connection.Id, Direction.Outbound,
            Address(peer.Address), peer.Port, Address(bound.Address), bound.Port, host.Name, attempt.Received.MessageId,
            SocksTarget: connection.Proxy is null ? null : $"[{Address(server.Address)}]:{server.Port}"));
        var opened = await transport.OpenAsync(connection, tryTls, dane, cancellationToken,
            greeting => eventAction.RaiseAsync("smtp:connect", new SmtpConnected(connection.Id, Direction.Outbound, greeting.ToString(),
                Address(server.Address), server.Port, host.Name), cancellationToken),
            (depth, certificate) => eventAction.RaiseAsync("tls:cert", new TlsCertificateSeen(connection.Id, Direction.Outbound,
                depth.ToString(System.Globalization.CultureInfo.InvariantCulture), certificate.Subject, certificate.Issuer,
                certificate.ExportCertificatePem(), Address(server.Address), host.Name), cancellationToken).GetAwaiter().GetResult())
            .ConfigureAwait(false);
        if (opened.Greeting is null)
            hostRetry.Failed(server, opened.HostError ?? "no greeting");
        else
            hostRetry.Succeeded(server);
        if (opened.Greeting is not null)
            attempt.Connection(connection.Id, new SmtpConnected(connection.Id, Direction.Outbound,
                opened.Greeting.ToString(), Address(server.Address), server.Port, host.Name));
        if (connection.Hello is { } hello)
            attempt.Connection(connection.Id, new SmtpEhlo(connection.Id, string.Join('\n', hello.Lines), Address(server.Address), host.Name));
        if (connection.Tls is { } tls)
        {
            for (var depth = 0; depth < tls.Chain.Count; depth++)
                attempt.Connection(connection.Id, new TlsCertificateSeen(connection.Id, Direction.Outbound,
                    depth.ToString(System.Globalization.CultureInfo.InvariantCulture), tls.Chain[depth].Subject, tls.Chain[depth].Issuer,
                    tls.Chain[depth].ExportCertificatePem(), Address(server.Address), host.Name));
        }

        if (opened.TlsError is not null)
        {
            attempt.Connection(connection.Id, new TlsConnectFailed(connection.Id, opened.TlsError, Address(server.Address), host.Name));
            if (dane is not null)
                attempt.DaneFailed($"dane-verify: {opened.TlsError}", host, server);
        }
        var result = opened.HostError is null
            ? await transport.SendAsync(connection, attempt.Received, recipients, content, cancellationToken).ConfigureAwait(false)
            : new TransportResult(opened.HostError, []);
        if (result.HostError is not null)
        {
            await transport.CloseAsync(connection, cancellationToken).ConfigureAwait(false);
            attempt.Connection(connection.Id, new TcpClosed(connection.Id, Direction.Outbound,
                Address(server.Address), server.Port, result.HostError, Math.Max(0, connection.Transactions - 1)));
            if (opened.RetryInClear)
                return (false, result.HostError, true);
            attempt.HostDeferred(recipients, result.HostError, 0, host, server, route.RouterName, connection.Proxy?.ToString());
            return (false, result.HostError, false);
        }

        Record(attempt, result, connection, host, server, route);
        attempt.Used(connection);
        return (true, null, false);
    }

    // The TLSA records DANE uses for one server, or why the server must not be used
    // (RFC 7672 §2.2: a failed TLSA lookup defers; HostsRequireDane wants validated records).
    private (IReadOnlyList<TlsaRecord>? Records, string? Error) Dane(RouteHost host, IPAddress address, bool eligible, DnsResult<TlsaRecord>? tlsa)
    {
        if (!TlsHostPolicy.TryDane(options, address))
            return (null, null);
        var required = TlsHostPolicy.RequireDane(options, address);
        var name = $"_{host.Port}._tcp.{host.Name}";
        if (!eligible || tlsa is null)
            return (null, required ? $"dane-required: the lookups of {host.Name} were not DNSSEC-validated" : null);
        if (tlsa.Status == DnsStatus.TemporaryFailure)
            return (null, $"tlsa-lookup: the TLSA lookup for {name} failed ({tlsa.Error})");
        var usable = tlsa.Status == DnsStatus.Found && tlsa.Authenticated
            ? tlsa.Records.Where(r => r.Usage is 2 or 3 && r.Selector is 0 or 1 && r.MatchingType is 0 or 1 or 2).ToList()
            : [];
        if (usable.Count > 0)
            return (usable, null);
        return (null, required ? $"dane-required: {name} has no usable DNSSEC-validated TLSA records" : null);
    }

    private static void Record(Attempt attempt, TransportResult result, SmtpClientConnection connection, RouteHost host, IPEndPoint server, Route route)
    {
        var delivery = new HostDelivery(host, server, connection.LocalEndPoint, route.RouterName, connection.Id, connection.Proxy, connection.Tls);
        foreach (var outcome in result.Recipients)
            attempt.Record(outcome, delivery);
    }

    private static string Address(IPAddress address) => address.ToText();

    internal sealed record HostDelivery(RouteHost Host, IPEndPoint Server, IPEndPoint Local, string RouterName, string ConnectionId, SocksProxy? Proxy,
        TlsSessionInfo? Tls);
}
