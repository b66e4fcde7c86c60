using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Pipeline.Contracts.Events;
using Pipeline.Delivery.EventActions;
using Pipeline.Delivery.Retry;
using Pipeline.Delivery.Routing;
using Pipeline.Delivery.Socks;
using Pipeline.Delivery.Sts;
using Pipeline.Delivery.Tls;
using Pipeline.Infrastructure.Hosting;

namespace Pipeline.Delivery.Smtp;

/// <summary>
/// Opens a new connection for one delivery attempt, as its <see cref="ConnectionKey"/> says: the
/// event action's <c>tcp:connect</c>, the TCP connection (directly or through SOCKS5), the
/// greeting, EHLO, and STARTTLS as the key's TLS options and DANE requirement demand; and
/// closes the connections an attempt gives up. Each connection's events (<c>tcp:connect</c>,
/// <c>smtp:connect</c>, <c>smtp:ehlo</c>, <c>tls:cert</c>, <c>tls:fail:connect</c>,
/// <c>tcp:close</c>) go to the attempt, which records them with its outcome, and whether the
/// server could be reached goes to <see cref="HostRetry"/>.
/// </summary>
internal sealed class ConnectionOpener(SmtpTransport transport, IEventAction eventAction, HostRetry hostRetry, DeliveryOptions options)
{
    /// <summary>How opening went: the open connection, or why there is none.</summary>
    /// <param name="Connection">The connection, its session open, or null.</param>
    /// <param name="Error">Why not, when not; the host has then been deferred for the recipients, unless <paramref name="RetryInClear"/>.</param>
    /// <param name="RetryInClear">True when TLS failed where it is not required: a new connection may try in the clear (Exim's <c>tls_tempfail_tryclear</c>).</param>
    public sealed record Opened(SmtpClientConnection? Connection, string? Error, bool RetryInClear = false);

    /// <summary>Opens a connection to <paramref name="key"/>'s server for <paramref name="recipients"/>.</summary>
    public async Task<Opened> OpenAsync(Attempt attempt, Route route, RouteHost host, ConnectionKey key, IReadOnlyList<Recipient> recipients,
        bool tryTls, CancellationToken cancellationToken)
    {
        var server = key.Server;
        var local = key.Interface;

        // The event action's tcp:connect comes before the connection; a result means none is made.
        var planned = new TcpConnected("", Direction.Outbound, server.Address.ToText(), server.Port, local is null ? "" : local.ToText(), 0,
            host.Name, attempt.Received.MessageId);
        if (await eventAction.RaiseAsync("tcp:connect", planned, cancellationToken).ConfigureAwait(false) is { } veto)
            return Deferred(attempt, route, host, server, recipients, $"the event action refused the connection at tcp:connect: {veto}");

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
            // A proxy that cannot be reached says nothing of the server: no refused or timeout_connect for it.
            var type = proxies.Count > 0 ? RetryError.Other : RetryError.Connect(e.SocketErrorCode) with { FromMx = host.FromMx };
            if (proxies.Count > 0)
                error = $"no SOCKS proxy could be reached: {error}";
            else
                hostRetry.Failed(server, error, type, host.Name, recipients.Count > 0 ? recipients[0].Address : "", attempt.Received.Sender);
            attempt.HostDeferred(recipients, error, e.ErrorCode, host, server, route.RouterName, type: type);
            return new Opened(null, error);
        }
        catch (SocksException e)
        {
            return Deferred(attempt, route, host, server, recipients, e.Message);
        }

        try
        {
            return await SessionAsync(attempt, route, host, key, connection, recipients, tryTls, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Cancelled, or an unexpected exception: nothing else would close it.
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // The greeting, EHLO and STARTTLS on a new connection, its events recorded in the attempt.
    private async Task<Opened> SessionAsync(Attempt attempt, Route route, RouteHost host, ConnectionKey key, SmtpClientConnection connection,
        IReadOnlyList<Recipient> recipients, bool tryTls, CancellationToken cancellationToken)
    {
        var server = key.Server;
        connection.HostName = host.Name;
        connection.Key = key;
        var bound = connection.LocalEndPoint;
        var peer = connection.RemoteEndPoint;
        var address = server.Address.ToText();
        attempt.Connection(connection.Id, new TcpConnected(connection.Id, Direction.Outbound,
            peer.Address.ToText(), peer.Port, bound.Address.ToText(), bound.Port, host.Name, attempt.Received.MessageId,
            SocksTarget: connection.Proxy is null ? null : $"[{address}]:{server.Port}"));
        var opened = await transport.OpenAsync(connection, tryTls,
            greeting => eventAction.RaiseAsync("smtp:connect", new SmtpConnected(connection.Id, Direction.Outbound, greeting.ToString(),
                address, server.Port, host.Name), cancellationToken),
            (depth, certificate) => eventAction.RaiseAsync("tls:cert", new TlsCertificateSeen(connection.Id, Direction.Outbound,
                depth.ToString(CultureInfo.InvariantCulture), certificate.Subject, certificate.Issuer,
                certificate.ExportCertificatePem(), address, host.Name), cancellationToken).GetAwaiter().GetResult(),
            cancellationToken).ConfigureAwait(false);
        // SMTP AUTH with the route's credentials, once the session, and TLS, are up.
        if (opened.HostError is null && key.Auth is { } credentials)
            opened = await transport.AuthenticateAsync(connection, credentials, opened, cancellationToken).ConfigureAwait(false);
        if (opened.Greeting is null)
            hostRetry.Failed(server, opened.HostError ?? "no greeting", (opened.HostErrorType ?? RetryError.Other) with { FromMx = host.FromMx },
                host.Name, recipients.Count > 0 ? recipients[0].Address : "", attempt.Received.Sender);
        else
            hostRetry.Succeeded(server);
        if (opened.Greeting is not null)
            attempt.Connection(connection.Id, new SmtpConnected(connection.Id, Direction.Outbound, opened.Greeting.ToString(), address, server.Port,
                host.Name));
        if (connection.Hello is { } hello)
            attempt.Connection(connection.Id, new SmtpEhlo(connection.Id, string.Join('\n', hello.Lines), address, host.Name));
        if (connection.Tls is { } tls)
        {
            for (var depth = 0; depth < tls.Chain.Count; depth++)
                attempt.Connection(connection.Id, new TlsCertificateSeen(connection.Id, Direction.Outbound,
                    depth.ToString(CultureInfo.InvariantCulture), tls.Chain[depth].Subject, tls.Chain[depth].Issuer,
                    tls.Chain[depth].ExportCertificatePem(), address, host.Name));
        }

        if (opened.TlsResultType is not null)
        {
            // One tls:fail:connect per failed session, with what a TLS report counts it by.
            var (policyType, policyDomain, policyStrings) = TlsReportPolicy.Of(key);
            attempt.Connection(connection.Id, new TlsConnectFailed(connection.Id, opened.TlsError ?? opened.HostError ?? opened.TlsResultType,
                address, host.Name, opened.TlsResultType, policyType,
                policyDomain is null ? recipients.Select(r => r.Domain).Distinct().Order(StringComparer.Ordinal).ToList() : [policyDomain],
                policyStrings, bound.Address.ToText()));
        }

        if (opened.TlsError is not null && key.Dane.Records.Count > 0 && tryTls)
            attempt.DaneFailed($"dane-verify: {opened.TlsError}", host, server);

        if (opened.HostError is null)
        {
            // MTA-STS testing: a session short of the policy carries the mail, and says so once
            // (RFC 8461 §5); the clear retry after a TLS failure was counted by its tls:fail:connect.
            if (tryTls && StsSessionCheck.Failure(key, connection.Tls) is { } failure)
                attempt.StsFailed(failure.Reason, failure.ResultType, key.Sts!.Domain, key.Sts, host, server, connection);
            return new Opened(connection, null);
        }

        await CloseAsync(attempt, connection, opened.HostError, cancellationToken).ConfigureAwait(false);
        if (opened.RetryInClear)
            return new Opened(null, opened.HostError, RetryInClear: true);
        if (attempt.Received.RequireTls && opened.HostErrorType?.Kind == RetryErrorKind.TlsRequired)
        {
            // RFC 8689 §4.2.1 step 4: no TLS session as REQUIRETLS demands at this host.
            var refusal = RequireTls.EncryptionNeeded(opened.HostError);
            attempt.RequireTlsRefused(recipients, refusal, host, server, route.RouterName, connection.Proxy?.ToString());
            return new Opened(null, refusal);
        }

        attempt.HostDeferred(recipients, opened.HostError, 0, host, server, route.RouterName, connection.Proxy?.ToString(), opened.HostErrorType);
        return new Opened(null, opened.HostError);
    }

    /// <summary>
    /// Says QUIT on a connection the attempt holds and will not hand back, and records its
    /// <c>tcp:close</c> in the attempt, after the connection's other events.
    /// </summary>
    /// <param name="attempt">The attempt that holds the connection.</param>
    /// <param name="connection">The connection.</param>
    /// <param name="reason">Why it closes: an error, or why the attempt gives it up.</param>
    /// <param name="cancellationToken">Cancels the QUIT.</param>
    public async Task CloseAsync(Attempt attempt, SmtpClientConnection connection, string reason, CancellationToken cancellationToken)
    {
        await transport.CloseAsync(connection, cancellationToken).ConfigureAwait(false);
        var server = connection.Key.Server;
        attempt.Connection(connection.Id, new TcpClosed(connection.Id, Direction.Outbound, server.Address.ToText(), server.Port, reason,
            connection.Transactions));
    }

    private static Opened Deferred(Attempt attempt, Route route, RouteHost host, IPEndPoint server, IReadOnlyList<Recipient> recipients, string error)
    {
        attempt.HostDeferred(recipients, error, 0, host, server, route.RouterName);
        return new Opened(null, error);
    }
}
