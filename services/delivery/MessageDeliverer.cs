using Microsoft.Extensions.Logging;
using System.Diagnostics;
using System.Net;
using JasperFx.Events;
using Marten;
using Pipeline.Contracts.Events;
using Pipeline.Contracts;
using Pipeline.Delivery.Bounces;
using Pipeline.Delivery.EventActions;
using Pipeline.Delivery.Queue;
using Pipeline.Delivery.Retry;
using Pipeline.Delivery.Routing;
using Pipeline.Delivery.Signing;
using Pipeline.Delivery.Smtp;
using Pipeline.Delivery.Sts;
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
    IDocumentStore store, RawMessageStore raw, CommittedMessages handOff, Router router, LocalHost localHost, SmtpTransport transport, ConnectionPool pool, ServerSlots slots,
    IEventAction eventAction, HostRetry hostRetry, OutcomeCommitter committer, DeliveryOptions options, DkimSigning signing, MainLog mainLog,
    StsPolicies sts, TimeProvider clock, ILogger<MessageDeliverer> log)
{
    private readonly ServerDelivery _servers = new(transport, pool, slots, new ConnectionOpener(transport, eventAction, hostRetry, options), hostRetry);

    private readonly RetryConfiguration _retry = options.RetryLines;

    private static readonly RetryError Lookup = new(RetryErrorKind.Lookup);

    private readonly DelayWarningSchedule _delayWarning = options.DelayWarnings;

    /// <summary>
    /// Makes one attempt; throws only when nothing could be recorded. A <paramref name="forced"/>
    /// attempt (an operator's retry) tries hosts whose retry time has not come. With a
    /// <paramref name="claim"/>, no SMTP transaction starts once it has run out; what was sent
    /// before is recorded all the same. The <paramref name="firstAttempt"/> of a message (no
    /// attempt recorded yet) takes it from ingress in memory when ingress runs in this process
    /// and holds it (<see cref="CommittedMessages"/>); otherwise its stream and bytes are read.
    /// </summary>
    public async Task DeliverAsync(string messageId, bool forced, CancellationToken cancellationToken, HeldClaim? claim = null,
        bool firstAttempt = false)
    {
        var handedOff = firstAttempt ? handOff.Take(messageId) : null;
        DeliveryMetrics.MessageRead(handedOff is not null);
        var message = handedOff is { Received: var fresh }
            ? new MessageState([fresh], 1, fresh, fresh.Recipients.ToList())
            : await ReadAsync(messageId, cancellationToken).ConfigureAwait(false);
        if (message.History.Any(e => e is MessageCompleted))
            return;

        var received = message.Received;
        var pending = message.Pending;
        var attempt = new Attempt(received, message.History.Count(e => e is MessageDeferred) + 1) { Forced = forced, Claim = claim };
        var startedAt = Stopwatch.GetTimestamp();
        using var span = DeliveryMetrics.StartAttempt(received, attempt.Number);

        // The connections go back to the pool only once the attempt is recorded: before, the
        // pool could close one and record its tcp:close ahead of (and in the way of) the
        // connection's first events, which the commit writes. Whatever happens before that,
        // cancellation included, the connections close and their slots are given back.
        try
        {
            var content = handedOff?.Data ?? await raw.ReadAsync(messageId, cancellationToken).ConfigureAwait(false);
            if (content is null)
            {
                foreach (var recipient in pending)
                    attempt.FailInternally(recipient, "message data is missing from the store", null);
            }
            else
            {
                await DeliverAllAsync(attempt, pending, signing.Sign(content), cancellationToken).ConfigureAwait(false);
            }

            if (attempt.ClaimRanOut && attempt.DidNothing)
            {
                // Nothing to record, and a record would only get in the way of the worker that
                // may hold the message by now (its outcome would meet a changed stream). The
                // row stays claimed until the lease sweep gives it back, due as it was.
                log.LogWarning("The claim on {MessageId} ran out before its attempt tried a server; the next claim tries it", messageId);
                return;
            }

            attempt.Finish(message.History, _retry, clock.GetUtcNow());
            var bounce = BounceFor(received, content, attempt);
            // One report of each kind per attempt, for all its recipients (RFC 3464 §2).
            OutcomeCommitter.Bounce[] reports =
                [.. new[] { bounce, DelayWarningFor(message.History, received, content, attempt), SuccessFor(received, content, attempt) }.OfType<OutcomeCommitter.Bounce>()];

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

            await CommitOutcomeAsync(messageId, message.Version + attempt.Events.Count, attempt, reports, cancellationToken).ConfigureAwait(false);
            DeliveryMetrics.Recorded(attempt.Events, bounce is not null, startedAt, span);
        }
        catch
        {
            foreach (var held in attempt.Held)
            {
                try
                {
                    await pool.CloseAsync(held.Connection, "the attempt could not be recorded", CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    log.LogWarning(e, "Could not close connection {ConnectionId} of {MessageId}", held.Connection.Id, messageId);
                }
                finally
                {
                    held.Slot.Dispose();
                }
            }

            throw;
        }

        try
        {
            foreach (var held in attempt.Held)
                await pool.ReturnAsync(held.Connection, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var held in attempt.Held)
                held.Slot.Dispose();
        }

        attempt.WriteMainLog(mainLog);
    }

    // The longest an attempt's outcome is retried while the store is away (a restart, a
    // connection lost). Once servers have taken the message, giving up means trying it again
    // later, and those servers get it twice; measured with bench/chaos.sh, a PostgreSQL restart
    // takes about a second here.
    private static readonly TimeSpan OutcomeRetryLimit = TimeSpan.FromSeconds(30);

    // Appends an attempt's outcome, again and again while the store's failure is transient:
    // the expected version still guards it, so a retry after a commit that did happen (its
    // answer lost) fails as a conflict instead of recording the attempt twice.
    private async Task CommitOutcomeAsync(string messageId, long expectedVersion, Attempt attempt, IReadOnlyList<OutcomeCommitter.Bounce> reports,
        CancellationToken cancellationToken)
    {
        var started = clock.GetTimestamp();
        for (var wait = TimeSpan.FromMilliseconds(250); ; wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, TimeSpan.FromSeconds(4).Ticks)))
        {
            try
            {
                await committer.CommitAsync(messageId, expectedVersion, attempt.Events.ToArray(), attempt.Connections, reports, cancellationToken)
                    .ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (StoreErrors.IsTransient(e) && !cancellationToken.IsCancellationRequested
                                      && clock.GetElapsedTime(started) + wait < OutcomeRetryLimit)
            {
                log.LogWarning("Could not record the attempt on {MessageId} ({Error}); trying again in {Wait} ms",
                    messageId, e.Message, (int)wait.TotalMilliseconds);
                await Task.Delay(wait, clock, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Gives a claimed message up (an operator's cancel, Exim's <c>-Mg</c>): its pending
    /// recipients fail, the sender gets a bounce, and it completes. False when it was complete already.
    /// </summary>
    public async Task<bool> CancelAsync(string messageId, string by, CancellationToken cancellationToken)
    {
        var message = await ReadAsync(messageId, cancellationToken).ConfigureAwait(false);
        if (message.History.Any(e => e is MessageCompleted))
            return false;

        var received = message.Received;
        var attempt = new Attempt(received, message.History.Count(e => e is MessageDeferred) + 1);
        attempt.Cancel(message.Pending, by);
        attempt.Finish(message.History, _retry, clock.GetUtcNow());
        var content = await raw.ReadAsync(messageId, cancellationToken).ConfigureAwait(false);
        var bounce = BounceFor(received, content, attempt);
        await committer.CommitAsync(messageId, message.Version + attempt.Events.Count, attempt.Events.ToArray(), attempt.Connections,
            bounce is null ? [] : [bounce], cancellationToken).ConfigureAwait(false);
        attempt.WriteMainLog(mainLog);
        return true;
    }

    // A message as an attempt starts from: its stream's events (the data) and version, its
    // msg:received, and the recipients no attempt has settled yet.
    private sealed record MessageState(IReadOnlyList<object> History, long Version, MessageReceived Received, List<Recipient> Pending);

    private async Task<MessageState> ReadAsync(string messageId, CancellationToken cancellationToken)
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
        return new MessageState(stream.Select(e => e.Data).ToList(), stream[^1].Version, received,
            received.Recipients.Where(r => !settled.Contains(r.Address)).ToList());
    }

    // The report to the sender of this attempt's failures, when one is due; it goes out like
    // any message, from the null sender, so that it can never bounce in turn.
    private OutcomeCommitter.Bounce? BounceFor(MessageReceived received, byte[]? content, Attempt attempt)
    {
        var failures = BounceMessage.Reportable(received, attempt.Failures);
        if (failures.Count == 0)
            return null;
        var now = clock.GetUtcNow();
        // RFC 8689 §5: the report of a REQUIRETLS message would need REQUIRETLS on its own way
        // back, which that path may not offer; it is redacted instead (none of the original's
        // header or body), so that it may go without.
        var data = BounceMessage.Create(received, received.RequireTls ? [] : content ?? [], failures, options.HeloData, options.BounceReturnSizeLimit, now);
        return Report(received, data, now, attempt);
    }

    // The delay warning (Exim's delay_warning) this attempt calls for: only when it leaves
    // recipients deferred and the message's time in the queue has passed a time of
    // Delivery:DelayWarning that no warning in its history has counted yet. Its msg:delay-warning
    // goes in the attempt's outcome, under the stream's expected version: of two workers that
    // tried the message at once, only the one whose outcome is stored sends it.
    private OutcomeCommitter.Bounce? DelayWarningFor(IReadOnlyList<object> history, MessageReceived received, byte[]? content, Attempt attempt)
    {
        if (_delayWarning.IsNever || received.Sender.Length == 0 || attempt.Events.LastOrDefault() is not MessageDeferred)
            return null;
        var now = clock.GetUtcNow();
        var sent = history.OfType<DelayWarningSent>().Select(w => w.Warnings).DefaultIfEmpty(0).Max();
        if (_delayWarning.Due(now - received.ReceivedAt, sent) is not { } due)
            return null;
        var delayed = DelayWarningMessage.Reportable(received, content, attempt.Delayed(_retry));
        if (delayed.Count == 0)
            return null;
        // Redacted for a REQUIRETLS message, as its bounce is (RFC 8689 §5).
        var data = DelayWarningMessage.Create(received, received.RequireTls ? [] : content, delayed, due.Delay, options.HeloData, now);
        var warning = Report(received, data, now, attempt);
        attempt.WarnedOfDelay([.. delayed.Select(d => d.Recipient)], due.Count, DelayWarningSchedule.Words(due.Delay), warning.Received.MessageId);
        return warning;
    }

    // The success notification this attempt calls for: recipients with NOTIFY=SUCCESS that went
    // to a server without DSN (relayed); a server with DSN got the parameters and reports itself.
    private OutcomeCommitter.Bounce? SuccessFor(MessageReceived received, byte[]? content, Attempt attempt)
    {
        var relayed = SuccessMessage.Reportable(received, attempt.Delivered);
        if (relayed.Count == 0)
            return null;
        var now = clock.GetUtcNow();
        return Report(received, SuccessMessage.Create(received, received.RequireTls ? [] : content, relayed, options.HeloData, now), now, attempt);
    }

    // A report to the sender, queued like any message, from the null sender so that it can never
    // bounce in turn.
    private static OutcomeCommitter.Bounce Report(MessageReceived received, byte[] data, DateTimeOffset now, Attempt attempt)
    {
        var report = new MessageReceived(MessageIds.New(now), ConnectionId: "", Sender: "", [Recipient.Parse(received.Sender)], data.Length,
            HostAddress: "", HostPort: 0, Helo: null, Protocol: "local", InterfaceAddress: "", InterfacePort: 0, now,
            SmtpUtf8: received.SmtpUtf8);
        attempt.Bounced(report);
        return new OutcomeCommitter.Bounce(report, data);
    }

    private async Task DeliverAllAsync(Attempt attempt, List<Recipient> pending, byte[] content, CancellationToken cancellationToken)
    {
        attempt.TlsRequest = RequireTls.Of(attempt.Received, content);
        // Each domain is routed once per attempt, so that its recipients share one order of its
        // equal MX hosts, and so one transaction.
        var routes = new Dictionary<string, RoutingResult>(StringComparer.OrdinalIgnoreCase);
        var groups = new Dictionary<string, (Route Route, List<Recipient> Recipients)>(StringComparer.Ordinal);
        foreach (var recipient in pending)
        {
            if (!routes.TryGetValue(recipient.Domain, out var routing))
            {
                routes[recipient.Domain] = routing = await RouteAsync(attempt, recipient.Domain, cancellationToken).ConfigureAwait(false);
                // One dns:fail per failed lookup, however many recipients it defers.
                if (routing is { Route: null, Temporary: true })
                    attempt.DnsFailed($"{recipient.Domain} MX: {routing.Error}", Lookup);
            }

            if (routing.Route is null)
            {
                if (routing.Temporary)
                    attempt.Defer(recipient, routing.Error!, Lookup);
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

    // Routes a domain. A route by MX gets the domain's MTA-STS policy (RFC 8461), which
    // Delivery:Routes, the operator's own choice of hosts, does not; a failed discovery of one
    // is recorded, and delivery goes on as without it.
    private async Task<RoutingResult> RouteAsync(Attempt attempt, string domain, CancellationToken cancellationToken)
    {
        var routing = await router.RouteAsync(domain, cancellationToken).ConfigureAwait(false);
        if (routing.Route is not { RouterName: "dnslookup" } route
            || await sts.DiscoverAsync(domain, cancellationToken).ConfigureAwait(false) is not { } discovery)
            return routing;
        if (discovery.ResultType is { } failure)
            attempt.StsFailed(discovery.Failure ?? failure, failure, discovery.Domain, null, null, null);
        return routing with { Route = route with { Sts = discovery } };
    }

    // Tries the route's hosts in order until one settles the recipients. Hosts of one
    // preference are resolved together first: when one of them is this MTA, RFC 5321 §5.1 has
    // it and every host as preferred or less dropped (Exim's "self"), and when no host was
    // more preferred the recipients fail, since the mail would only come back here.
    private async Task DeliverRouteAsync(Attempt attempt, Route route, List<Recipient> recipients, byte[] content,
        CancellationToken cancellationToken)
    {
        var lastError = "no host could be reached";
        var morePreferred = false;
        foreach (var preference in route.Hosts.GroupBy(h => h.Preference))
        {
            var resolved = new List<(RouteHost Host, DnsResult<IPAddress> Addresses)>();
            foreach (var listed in preference)
                resolved.Add((listed, await router.ResolveAsync(listed, cancellationToken).ConfigureAwait(false)));
            if (resolved.Select(r => localHost.Why(r.Host, r.Addresses)).FirstOrDefault(w => w is not null) is { } self)
            {
                if (!morePreferred)
                {
                    var error = $"mail would loop: {self} ({(route.RouterName == "route" ? "the route's first host" : "the lowest numbered MX record")} points to the local host)";
                    log.LogWarning("Message {MessageId}: {Error}", attempt.Received.MessageId, error);
                    foreach (var recipient in recipients)
                        attempt.FailInternally(recipient, error, route.RouterName);
                    return;
                }

                break;
            }

            morePreferred = true;
            if (await TryHostsAsync(attempt, route, recipients, content, resolved, cancellationToken).ConfigureAwait(false) is not { } failure)
                return;
            lastError = failure;
            if (attempt.ClaimRanOut)
                break;
        }

        foreach (var recipient in recipients)
            attempt.Defer(recipient, lastError);
    }

    // Tries hosts of one preference in order; null when one settled the recipients, else the last error.
    private async Task<string?> TryHostsAsync(Attempt attempt, Route route, List<Recipient> recipients, byte[] content,
        List<(RouteHost Host, DnsResult<IPAddress> Addresses)> resolved, CancellationToken cancellationToken)
    {
        var lastError = "no host could be reached";
        foreach (var (listed, addresses) in resolved)
        {
            if (attempt.Claim is { } claim && !claim.IsHeldAt(clock.GetUtcNow()))
            {
                // Another worker may hold the message by now: sending it again here could
                // deliver it twice. What this attempt sent is recorded; the rest waits.
                attempt.StopForLostClaim();
                return "the attempt stopped: this worker's claim on the message ran out";
            }

            var host = listed;
            if (addresses.Status != DnsStatus.Found)
            {
                lastError = $"host lookup for {host.Name} did not complete ({addresses.Status})";
                if (addresses.Status == DnsStatus.TemporaryFailure)
                {
                    // Exim's "lookup" retry error: a host's address lookup failed for now. Its
                    // recipients wait by that line unless a later host defers them otherwise.
                    attempt.DnsFailed($"{host.Name} A/AAAA: {addresses.Error ?? "no answer"}", Lookup);
                    attempt.LookupFailed(recipients, host.Name);
                }

                continue;
            }

            // RFC 7672 §2.2: DANE only for names whose MX and address lookups were validated.
            var daneEligible = route.Secure && addresses.Authenticated && !IPAddress.TryParse(host.Name, out _);
            host = host with { DnssecAuthenticated = daneEligible };
            DnsResult<TlsaRecord>? tlsa = null;
            foreach (var address in addresses.Records)
            {
                var server = new IPEndPoint(address, host.Port);
                // RFC 8689: REQUIRETLS tightens the TLS options, TLS-Required: No relaxes DANE's.
                var policy = RequireTls.Apply(TlsHostPolicy.For(options, host.Name, address), attempt.TlsRequest);
                if (attempt.TlsRequest == TlsRequest.Required && RequireTls.UnvalidatedHost(route, host) is { } unvalidated)
                {
                    attempt.RequireTlsRefused(recipients, unvalidated, host, server, route.RouterName);
                    lastError = unvalidated;
                    continue;
                }

                if (tlsa is null && DanePolicy.WantsTlsa(policy, daneEligible))
                    tlsa = await router.TlsaAsync(host, cancellationToken).ConfigureAwait(false);
                var dane = DanePolicy.Decide(policy, host, daneEligible, tlsa);
                if (dane.Error is { } daneError)
                {
                    attempt.DaneFailed(daneError, host, server, dane.ResultType, dane.Tlsa);
                    attempt.HostDeferred(recipients, daneError, 0, host, server, route.RouterName, type: new RetryError(RetryErrorKind.TlsRequired));
                    lastError = daneError;
                    continue;
                }

                // RFC 8461 §2: where DANE applies, MTA-STS does not; under enforce, a host the
                // policy does not name is not used (§4.1), and TLS must verify (§4.2).
                // TLS-Required: No (RFC 8689 §4.2.2) asks that the recipient's policy be ignored.
                var stsHost = dane.Requirement!.RequiresTls || attempt.TlsRequest == TlsRequest.Optional ? null : route.Sts?.For(host.Name);
                if (stsHost is { Enforce: true, MxMatches: false })
                {
                    var refused = StsSessionCheck.NotNamed(host.Name, stsHost);
                    attempt.StsFailed(refused, TlsRptNames.ValidationFailure, stsHost.Domain, stsHost, host, server);
                    attempt.HostDeferred(recipients, refused, 0, host, server, route.RouterName, type: new RetryError(RetryErrorKind.TlsRequired));
                    lastError = refused;
                    continue;
                }

                var key = ConnectionKey.For(server, route.InterfaceFor(address), host.Name, stsHost is null ? policy : policy.Under(stsHost),
                    dane.Requirement!, stsHost, route.Auth);
                if (await _servers.DeliverAsync(attempt, route, host, key, recipients, content, cancellationToken).ConfigureAwait(false) is not { } error)
                    return null;
                lastError = error;
            }
        }

        return lastError;
    }
}
