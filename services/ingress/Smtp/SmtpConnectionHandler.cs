using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Ingress.Spool;
using Pipeline.Ingress.Verdicts;

namespace Pipeline.Ingress.Smtp;

/// <summary>Kestrel's entry point for each SMTP connection: runs one <see cref="SmtpSession"/>.</summary>
public sealed class SmtpConnectionHandler(
    IngressOptions options, PolicyClient policy, MessageSpooler spooler, IHostApplicationLifetime lifetime,
    ILogger<SmtpSession> log) : ConnectionHandler
{
    /// <inheritdoc />
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        if (connection.RemoteEndPoint is not IPEndPoint client || connection.LocalEndPoint is not IPEndPoint local)
            return;
        var connectionId = $"conn-{Guid.CreateVersion7():N}";
        using var scope = log.BeginScope("{ConnectionId} [{ClientAddress}]:{ClientPort}", connectionId, client.Address, client.Port);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, lifetime.ApplicationStopping);
        var session = new SmtpSession(connection.Transport, client, local, connectionId, options, policy, spooler, log);
        await session.RunAsync(stop.Token).ConfigureAwait(false);
    }
}
