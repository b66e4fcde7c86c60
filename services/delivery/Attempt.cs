using Pipeline.Infrastructure.Hosting;
using System.Net;
using Pipeline.Contracts.Events;
using Pipeline.Delivery.Bounces;
using Pipeline.Delivery.Retry;
using Pipeline.Delivery.Routing;
using Pipeline.Delivery.Smtp;
using Pipeline.Infrastructure.Logging;

namespace Pipeline.Delivery;

/// <summary>
/// The events one delivery attempt of one message produces, gathered while it runs and
/// appended together when it ends.
/// </summary>
internal sealed class Attempt(MessageReceived received, int number)
{
    private readonly Dictionary<string, string> _deferred = new(StringComparer.Ordinal);

    // Each deferred recipient's latest error type and the host that gave it, which choose its retry line.
    private readonly Dictionary<string, (RetryError Error, string? Host)> _causes = new(StringComparer.Ordinal);
    private readonly List<Action<MainLog>> _logLines = [];

    public MessageReceived Received { get; } = received;

    public int Number { get; } = number;

    /// <summary>An operator asked for this attempt: hosts are tried whatever their retry times.</summary>
    public bool Forced { get; init; }

    /// <summary>The queue claim the attempt runs under; no transaction starts once it has run out.</summary>
    public Queue.HeldClaim? Claim { get; init; }

    /// <summary>
    /// The attempt stopped before a host because its claim ran out: no server deferred what it
    /// did not try, so the retry rules do not apply to it.
    /// </summary>
    public bool ClaimRanOut { get; private set; }

    /// <summary>Stops the attempt before its next host: its claim ran out.</summary>
    public void StopForLostClaim() => ClaimRanOut = true;

    /// <summary>True while the attempt has neither tried a server nor settled a recipient: recording it would tell nothing.</summary>
    public bool DidNothing => Events.Count == 0 && Connections.Count == 0 && Held.Count == 0 && Failures.Count == 0;

    /// <summary>The message stream's new events, in order.</summary>
    public List<object> Events { get; } = [];

    /// <summary>An open connection this attempt carried a transaction on, with the server slot (<see cref="ServerSlots"/>) it holds.</summary>
    public sealed record HeldConnection(SmtpClientConnection Connection, IDisposable Slot);

    /// <summary>
    /// The open connections this attempt carried transactions on: they go back to the pool,
    /// and their slots are given back, only once the attempt is recorded.
    /// </summary>
    public List<HeldConnection> Held { get; } = [];

    /// <summary>Keeps <paramref name="connection"/> and its <paramref name="slot"/> until the attempt is recorded.</summary>
    public void Hold(SmtpClientConnection connection, IDisposable slot) => Held.Add(new HeldConnection(connection, slot));

    /// <summary>A held connection made as <paramref name="key"/> says, which can carry another transaction of this attempt.</summary>
    public HeldConnection? Holding(ConnectionKey key) => Held.Find(h => h.Connection.Key == key);

    /// <summary>A held connection to <paramref name="server"/>, whatever its key: it holds one of the server's slots.</summary>
    public HeldConnection? HoldingServer(IPEndPoint server) => Held.Find(h => h.Connection.Key.Server.Equals(server));

    /// <summary>Lets go of a held connection (to close it), handing back its slot, still taken.</summary>
    public IDisposable Release(HeldConnection held)
    {
        Held.Remove(held);
        return held.Slot;
    }

    /// <summary>The recipients that failed for good in this attempt, for the bounce.</summary>
    public List<BounceFailure> Failures { get; } = [];

    /// <summary>The outbound connections' events, by connection stream.</summary>
    public Dictionary<string, List<object>> Connections { get; } = new(StringComparer.Ordinal);

    private string Id => Received.MessageId;

    public void Connection(string connectionId, object lifecycleEvent)
    {
        if (!Connections.TryGetValue(connectionId, out var events))
            Connections[connectionId] = events = [];
        events.Add(lifecycleEvent);
    }

    public void HostDeferred(IReadOnlyList<Recipient> recipients, string error, int errno, RouteHost host, IPEndPoint server, string router,
        string? proxy = null, RetryError? type = null)
    {
        var address = server.Address.ToText();
        var cause = (type ?? RetryError.Other) with { FromMx = host.FromMx };
        foreach (var recipient in recipients)
            _causes[recipient.Address] = (cause, host.Name);
        Events.Add(new HostDeferred(Id, recipients, error, errno, host.Name, address, server.Port, router, SmtpTransport.Name, Number, proxy,
            ErrorType: cause.ToString()));
        foreach (var recipient in recipients)
            _logLines.Add(log => log.Deferred(Id, recipient.Address, router, SmtpTransport.Name, host.Name, address, server.Port, errno, error, proxy));
    }

    /// <summary>
    /// Leaves <paramref name="recipient"/> deferred by <paramref name="error"/>; its retry line is
    /// chosen by <paramref name="type"/> at <paramref name="host"/>, or, without a type, by the
    /// last <see cref="HostDeferred"/> that named it.
    /// </summary>
    public void Defer(Recipient recipient, string error, RetryError? type = null, string? host = null)
    {
        _deferred[recipient.Address] = error;
        if (type is not null)
            _causes[recipient.Address] = (type, host);
    }

    /// <summary>
    /// A host's address lookup failed for now: <paramref name="recipients"/>, should nothing else
    /// settle or defer them, take their retry line by the <c>lookup</c> error at that host.
    /// </summary>
    public void LookupFailed(IReadOnlyList<Recipient> recipients, string host)
    {
        foreach (var recipient in recipients)
            _causes[recipient.Address] = (new RetryError(RetryErrorKind.Lookup), host);
    }

    /// <summary>Records a <c>dns:fail</c>; <paramref name="type"/> when the failure defers recipients itself, as their retry line's error type.</summary>
    public void DnsFailed(string lookup, RetryError? type = null) => Events.Add(new DnsFailed(Id, lookup, Number, type?.ToString()));

    /// <summary>What the message asks of TLS (RFC 8689), known once its content is read.</summary>
    public Tls.TlsRequest TlsRequest { get; set; }

    // REQUIRETLS: per recipient, how many hosts refused it for want of what REQUIRETLS demands,
    // the last refusal, and the host that gave it.
    private readonly Dictionary<string, (int Count, string Error, string Host)> _requireTlsRefusals = new(StringComparer.Ordinal);

    /// <summary>
    /// A host could not take the REQUIRETLS message as RFC 8689 §4.2.1 demands (its MX record not
    /// validated, no verified TLS session, no REQUIRETLS offered): nothing was sent to it, and it
    /// is recorded as deferring the recipients (<c>msg:host:defer</c>, <c>tls_required</c>) while
    /// the other hosts are tried. When every host refused so, <see cref="Finish"/> fails them.
    /// </summary>
    public void RequireTlsRefused(IReadOnlyList<Recipient> recipients, string error, RouteHost host, IPEndPoint server, string router,
        string? proxy = null)
    {
        HostDeferred(recipients, error, 0, host, server, router, proxy, new RetryError(RetryErrorKind.TlsRequired));
        foreach (var recipient in recipients)
            _requireTlsRefusals[recipient.Address] = (_requireTlsRefusals.GetValueOrDefault(recipient.Address).Count + 1, error, host.Name);
    }

    // RFC 8689 §4.2.1: once no host is left that meets REQUIRETLS's demands, the message is not
    // sent and its sender gets a non-delivery report, at once rather than at the end of the
    // retry rules. That holds for a recipient only when every host failure it met in this
    // attempt was such a refusal and it is still deferred by the last one (a server's own
    // deferral would have replaced it); a host that could not be reached or looked up for now
    // might still meet them, so the recipient then waits for its retry as usual.
    private void FailRequireTlsRefusals()
    {
        if (!Received.RequireTls || ClaimRanOut || Events.OfType<DnsFailed>().Any())
            return;
        foreach (var (address, (count, error, host)) in _requireTlsRefusals)
        {
            if (!_deferred.TryGetValue(address, out var deferred) || deferred != error
                || Events.OfType<HostDeferred>().Count(e => e.Recipients.Any(r => r.Address == address)) != count)
                continue;
            var recipient = Received.Recipients.First(r => r.Address == address);
            _deferred.Remove(address);
            Events.Add(new RecipientFailed(Id, recipient, error, host, null, 0, "", SmtpTransport.Name, Number));
            Failures.Add(new BounceFailure(recipient, error, host));
            _logLines.Add(log => log.Failed(Id, address, null, SmtpTransport.Name, error));
        }
    }

    /// <summary>Records a <c>dane:fail</c>; <paramref name="resultType"/> and <paramref name="tlsa"/> for one decided before connecting, which a TLS report counts.</summary>
    public void DaneFailed(string reason, RouteHost host, IPEndPoint server, string? resultType = null, IReadOnlyList<string>? tlsa = null) =>
        Events.Add(new DaneFailed(Id, reason, host.Name, server.Address.ToText(), server.Port, Number, resultType,
            resultType is null ? null : Tls.TlsRptNames.Tlsa, resultType is null ? null : [host.Name.TrimEnd('.').ToLowerInvariant()],
            resultType is null ? null : tlsa ?? []));

    /// <summary>
    /// Records an <c>sts:fail</c>: MTA-STS discovery failed for <paramref name="domain"/>
    /// (<paramref name="sts"/>, <paramref name="host"/> and <paramref name="server"/> null), or a
    /// host under <paramref name="sts"/> did not meet it; <paramref name="connection"/> for a
    /// <c>testing</c> session that carried the mail.
    /// </summary>
    public void StsFailed(string reason, string resultType, string domain, Sts.StsHost? sts, RouteHost? host, IPEndPoint? server,
        SmtpClientConnection? connection = null) =>
        Events.Add(new StsFailed(Id, reason, domain, sts?.Policy.ModeText, host?.Name, server?.Address.ToText(), server?.Port ?? 0, Number,
            connection?.Id, resultType, Tls.TlsRptNames.Sts, [domain], sts?.Policy.Lines, connection?.LocalEndPoint.Address.ToText()));

    /// <summary>An operator gave the message up: every pending recipient fails, as Exim's <c>-Mg</c> words it.</summary>
    public void Cancel(IReadOnlyList<Recipient> pending, string by)
    {
        const string reason = "cancelled by administrator";
        Events.Add(new MessageCancelled(Id, pending, reason, by));
        foreach (var recipient in pending)
            FailInternally(recipient, reason, null);
    }

    public void FailInternally(Recipient recipient, string error, string? router)
    {
        Events.Add(new RecipientFailedInternally(Id, recipient, error, router));
        Failures.Add(new BounceFailure(recipient, error, null));
        _logLines.Add(log => log.Failed(Id, recipient.Address, router, null, error));
    }

    /// <summary>Records the outcome of a transaction on <paramref name="connection"/>, recipient by recipient.</summary>
    public void Record(TransportResult result, SmtpClientConnection connection, RouteHost host, Route route)
    {
        var delivery = new HostDelivery(host, connection.Key.Server, connection.LocalEndPoint, route.RouterName, connection.Id, connection.Proxy,
            connection.Tls, connection.Tls is null || Sts.StsSessionCheck.Failure(connection.Key, connection.Tls) is not null
                ? null // in the clear, or an MTA-STS testing session that failed: its sts:fail counted it
                : Tls.TlsReportPolicy.Of(connection.Key));
        foreach (var outcome in result.Recipients)
            Record(outcome, delivery);
        foreach (var outcome in result.Recipients.Where(o => o.Status == RecipientStatus.Delivered))
            Delivered.Add((new DsnRecipient(outcome.Recipient, outcome.Reply, host.Name), result.DsnOffered));
    }

    /// <summary>The recipients delivered in this attempt, each with whether its server offered DSN, for success notifications.</summary>
    public List<(DsnRecipient Recipient, bool DsnOffered)> Delivered { get; } = [];

    /// <summary>
    /// The recipients a finished attempt leaves deferred (its <c>msg:defer</c>'s), each with its
    /// last error, the server that gave it when one did, and when its retry line gives up on it
    /// (the line <see cref="Finish"/> chose it by; cutoffs count from the message's arrival).
    /// </summary>
    public IReadOnlyList<DsnRecipient> Delayed(RetryConfiguration retry)
    {
        if (Events.OfType<MessageDeferred>().LastOrDefault() is not { } deferred)
            return [];
        return deferred.Pending.Select(r =>
        {
            var (type, host) = _causes.TryGetValue(r.Address, out var cause) ? cause : (RetryError.Other, null);
            var giveUp = Received.ReceivedAt + retry.For(r.Address, host, Received.Sender, type).Schedule.GiveUpAfter;
            return new DsnRecipient(r, _deferred.GetValueOrDefault(r.Address, deferred.EventData), host, giveUp);
        }).ToList();
    }

    /// <summary>
    /// Records the delay warning sent for <paramref name="delayed"/> (<c>msg:delay-warning</c>),
    /// just before the attempt's <c>msg:defer</c>, which stays the attempt's last event.
    /// </summary>
    public void WarnedOfDelay(IReadOnlyList<Recipient> delayed, int warnings, string delay, string warningId)
    {
        var at = Events.FindLastIndex(e => e is MessageDeferred);
        Events.Insert(at < 0 ? Events.Count : at, new DelayWarningSent(Id, delayed, warnings, delay, warningId, Number));
    }

    private sealed record HostDelivery(RouteHost Host, IPEndPoint Server, IPEndPoint Local, string RouterName, string ConnectionId,
        Socks.SocksProxy? Proxy, Tls.TlsSessionInfo? Tls, (string Type, string? Domain, IReadOnlyList<string>? Strings)? TlsPolicy);

    private void Record(RecipientOutcome outcome, HostDelivery via)
    {
        var recipient = outcome.Recipient;
        var address = via.Server.Address.ToText();
        var proxy = via.Proxy?.ToString();
        switch (outcome.Status)
        {
            case RecipientStatus.Delivered:
                Events.Add(new RecipientDelivered(Id, recipient, outcome.Reply, via.Host.Name, address, via.Server.Port,
                    via.Local.Address.ToText(), via.Local.Port, via.RouterName, SmtpTransport.Name, via.ConnectionId, Number, proxy,
                    via.Tls?.LogText, via.Tls?.CertificateVerified, via.Tls?.Dane ?? false, via.Tls?.TlsaUsage ?? 0, via.Host.DnssecAuthenticated,
                    via.TlsPolicy?.Type, via.TlsPolicy is { } policy ? policy.Domain ?? recipient.Domain : null, via.TlsPolicy?.Strings));
                _logLines.Add(log => log.Delivered(Id, recipient.Address, via.RouterName, SmtpTransport.Name, via.Host.Name, address, via.Server.Port,
                    outcome.Reply, proxy, via.Tls?.LogText, via.Tls?.CertificateVerified));
                break;
            case RecipientStatus.Failed:
                Events.Add(new RecipientFailed(Id, recipient, outcome.Reply, via.Host.Name, address, via.Server.Port, via.RouterName, SmtpTransport.Name, Number));
                Failures.Add(new BounceFailure(recipient, outcome.Reply, via.Host.Name));
                _logLines.Add(log => log.Failed(Id, recipient.Address, via.RouterName, SmtpTransport.Name, outcome.Reply));
                break;
            default:
                var cause = (outcome.Error ?? RetryError.Other) with { FromMx = via.Host.FromMx };
                Defer(recipient, outcome.Reply, cause, via.Host.Name);
                Events.Add(new RecipientDeferred(Id, recipient, outcome.Reply, 0, via.Host.Name, address, via.Server.Port, via.RouterName,
                    SmtpTransport.Name, Number, proxy, ErrorType: cause.ToString()));
                _logLines.Add(log => log.Deferred(Id, recipient.Address, via.RouterName, SmtpTransport.Name, via.Host.Name, address, via.Server.Port, 0, outcome.Reply, proxy));
                break;
        }
    }

    /// <summary>
    /// Ends the attempt: recipients still deferred wait for the next retry time, or fail when
    /// the retry rules have run out; with none left the message completes. An attempt stopped by
    /// its claim running out leaves them due at once: the next claim goes on where it stopped.
    /// </summary>
    public void Finish(IReadOnlyList<object> history, RetryConfiguration retry, DateTimeOffset now)
    {
        FailRequireTlsRefusals();
        if (_deferred.Count > 0)
        {
            // Each recipient's retry line is the first that matches it, and the host and type of
            // its latest deferral (Exim's retry section); cutoffs count from the message's arrival.
            // The message is due again at the earliest of its recipients' next times; a recipient
            // whose rules have run out fails.
            var pending = Received.Recipients.Where(r => _deferred.ContainsKey(r.Address)).ToList();
            DateTimeOffset? next = null;
            RetryLine? rule = null;
            var expired = new List<Recipient>();
            foreach (var recipient in pending)
            {
                var (type, host) = _causes.TryGetValue(recipient.Address, out var cause) ? cause : (RetryError.Other, null);
                var line = retry.For(recipient.Address, host, Received.Sender, type);
                var at = ClaimRanOut ? now : line.Schedule.Next(Received.ReceivedAt, now);
                if (at is null)
                    expired.Add(recipient);
                else if (next is null || at < next)
                    (next, rule) = (at, line);
            }

            if (next is not null)
            {
                var waiting = pending.Except(expired).ToList();
                FailExpired(expired);
                Events.Add(new MessageDeferred(Id, waiting, next.Value, Number, _deferred[waiting[^1].Address],
                    RetryRule: ClaimRanOut ? null : rule!.Text));
                return;
            }

            FailExpired(expired);
        }

        var all = history.Concat(Events).ToList();
        Events.Add(new MessageCompleted(Id, all.OfType<RecipientDelivered>().Count(),
            all.OfType<RecipientFailed>().Count() + all.OfType<RecipientFailedInternally>().Count()));
        _logLines.Add(log => log.Completed(Id));
    }

    // The recipients whose retry rules have run out fail, reported as Exim words it.
    private void FailExpired(List<Recipient> expired)
    {
        foreach (var recipient in expired)
        {
            var error = $"retry timeout exceeded: {_deferred[recipient.Address]}";
            Events.Add(new RecipientFailed(Id, recipient, error, null, null, 0, "", SmtpTransport.Name, Number));
            Failures.Add(new BounceFailure(recipient, error, null, Expired: true));
            _logLines.Add(log => log.Failed(Id, recipient.Address, null, SmtpTransport.Name, error));
        }
    }

    /// <summary>Notes the bounce made for this attempt's failures, for the main log.</summary>
    public void Bounced(MessageReceived bounce) =>
        _logLines.Add(log => log.BounceQueued(bounce.MessageId, Id, bounce.Size, bounce.Recipients[0].Address));

    public void WriteMainLog(MainLog log)
    {
        foreach (var line in _logLines)
            line(log);
    }
}
