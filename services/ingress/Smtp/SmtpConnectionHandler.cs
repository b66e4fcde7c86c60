using System.Net;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Infrastructure.Lists;
using Pipeline.Ingress.Auth;
using Pipeline.Ingress.Spool;
using Pipeline.Ingress.Tls;
using Pipeline.Ingress.Verdicts;

using Pipeline.Infrastructure.Store;

namespace Pipeline.Ingress.Smtp;

/// <summary>Kestrel's entry point for each SMTP connection: checks the limits, then runs one <see cref="SmtpSession"/>.</summary>
public sealed class SmtpConnectionHandler(
    IngressOptions options, PolicyClient policy, MessageSpooler spooler, StreamEventWriter closedConnections, ConnectionLimiter limiter,
    ServerCertificates certificates, Credentials credentials, AuthThrottle authThrottle,
    IHostApplicationLifetime lifetime, ILogger<SmtpSession> log) : ConnectionHandler
{
    private readonly IngressLists _lists = new(options);

    // Fires ShutdownGrace after the process was asked to stop: then every session ends.
    private readonly CancellationToken _deadline = Deadline(options.ShutdownGrace, lifetime.ApplicationStopping);

    private static CancellationToken Deadline(TimeSpan grace, CancellationToken stopping)
    {
        var deadline = new CancellationTokenSource();
        stopping.Register(() => deadline.CancelAfter(grace));
        return deadline.Token;
    }

    /// <inheritdoc />
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        if (connection.RemoteEndPoint is not IPEndPoint client || connection.LocalEndPoint is not IPEndPoint local)
            return;
        // A proxy carries many clients: it is not held to the per-host limit.
        using var lease = limiter.TryEnter(client.Address, perHostLimit: !_lists.ProxyHosts.Contains(client.Address), out var refusal);
        if (lease is null)
        {
            log.LogWarning("Connection from [{Client}] refused: {Refusal}", client.Address, refusal);
            await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(refusal!.Write(enhanced: true))).ConfigureAwait(false);
            return;
        }

        var connectionId = $"conn-{Guid.CreateVersion7():N}";
        using var scope = log.BeginScope("{ConnectionId} [{ClientAddress}]:{ClientPort}", connectionId, client.Address, client.Port);
        // Only shutdown cancels a session: Kestrel's ConnectionClosed also fires when a client
        // half-closes after pipelining its last commands (Exim does), and those still get replies.
        var session = new SmtpSession(connection.Transport, client, local, connectionId, options, policy, spooler, closedConnections,
            _lists, certificates, credentials, authThrottle, log);
        await session.RunAsync(lifetime.ApplicationStopping, _deadline).ConfigureAwait(false);
    }
}
