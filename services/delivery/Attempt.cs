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
        string? proxy = null)
    {
        var address = server.Address.ToText();
        Events.Add(new HostDeferred(Id, recipients, error, errno, host.Name, address, server.Port, router, SmtpTransport.Name, Number, proxy));
        foreach (var recipient in recipients)
            _logLines.Add(log => log.Deferred(Id, recipient.Address, router, SmtpTransport.Name, host.Name, address, server.Port, errno, error, proxy));
    }

    public void Defer(Recipient recipient, string error) => _deferred[recipient.Address] = error;

    public void DnsFailed(string lookup) => Events.Add(new DnsFailed(Id, lookup, Number));

    public void DaneFailed(string reason, RouteHost host, IPEndPoint server) =>
        Events.Add(new DaneFailed(Id, reason, host.Name, server.Address.ToText(), server.Port, Number));

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
            connection.Tls);
        foreach (var outcome in result.Recipients)
            Record(outcome, delivery);
    }

    private sealed record HostDelivery(RouteHost Host, IPEndPoint Server, IPEndPoint Local, string RouterName, string ConnectionId,
        Socks.SocksProxy? Proxy, Tls.TlsSessionInfo? Tls);

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
                    via.Tls?.LogText, via.Tls?.CertificateVerified, via.Tls?.Dane ?? false, via.Tls?.TlsaUsage ?? 0, via.Host.DnssecAuthenticated));
                _logLines.Add(log => log.Delivered(Id, recipient.Address, via.RouterName, SmtpTransport.Name, via.Host.Name, address, via.Server.Port,
                    outcome.Reply, proxy, via.Tls?.LogText, via.Tls?.CertificateVerified));
                break;
            case RecipientStatus.Failed:
                Events.Add(new RecipientFailed(Id, recipient, outcome.Reply, via.Host.Name, address, via.Server.Port, via.RouterName, SmtpTransport.Name, Number));
                Failures.Add(new BounceFailure(recipient, outcome.Reply, via.Host.Name));
                _logLines.Add(log => log.Failed(Id, recipient.Address, via.RouterName, SmtpTransport.Name, outcome.Reply));
                break;
            default:
                Defer(recipient, outcome.Reply);
                Events.Add(new RecipientDeferred(Id, recipient, outcome.Reply, 0, via.Host.Name, address, via.Server.Port, via.RouterName,
                    SmtpTransport.Name, Number, proxy));
                _logLines.Add(log => log.Deferred(Id, recipient.Address, via.RouterName, SmtpTransport.Name, via.Host.Name, address, via.Server.Port, 0, outcome.Reply, proxy));
                break;
        }
    }

    /// <summary>
    /// Ends the attempt: recipients still deferred wait for the next retry time, or fail when
    /// the retry rules have run out; with none left the message completes. An attempt stopped by
    /// its claim running out leaves them due at once: the next claim goes on where it stopped.
    /// </summary>
    public void Finish(IReadOnlyList<object> history, RetrySchedule retry, DateTimeOffset now)
    {
        if (_deferred.Count > 0)
        {
            var next = ClaimRanOut ? now : retry.Next(Received.ReceivedAt, now);
            var pending = Received.Recipients.Where(r => _deferred.ContainsKey(r.Address)).ToList();
            if (next is not null)
            {
                Events.Add(new MessageDeferred(Id, pending, next.Value, Number, _deferred.Values.Last()));
                return;
            }

            foreach (var recipient in pending)
            {
                var error = $"retry timeout exceeded: {_deferred[recipient.Address]}";
                Events.Add(new RecipientFailed(Id, recipient, error, null, null, 0, "", SmtpTransport.Name, Number));
                Failures.Add(new BounceFailure(recipient, error, null, Expired: true));
                _logLines.Add(log => log.Failed(Id, recipient.Address, null, SmtpTransport.Name, error));
            }
        }

        var all = history.Concat(Events).ToList();
        Events.Add(new MessageCompleted(Id, all.OfType<RecipientDelivered>().Count(),
            all.OfType<RecipientFailed>().Count() + all.OfType<RecipientFailedInternally>().Count()));
        _logLines.Add(log => log.Completed(Id));
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
