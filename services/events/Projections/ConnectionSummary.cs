using JasperFx.Events;
using Pipeline.Contracts.Events;

namespace Pipeline.Events.Projections;

/// <summary>An SMTP connection, inbound or outbound, at a glance: folded from its stream.</summary>
public sealed class ConnectionSummary
{
    /// <summary>The connection id (the stream's key): <c>conn-...</c> inbound, <c>out-...</c> outbound.</summary>
    public string Id { get; set; } = "";

    public Direction Direction { get; set; }
    public string HostAddress { get; set; } = "";
    public int HostPort { get; set; }
    public string? Host { get; set; }

    /// <summary>Inbound through a PROXY-protocol proxy: what its header said.</summary>
    public ProxySession? Proxy { get; set; }

    /// <summary>Outbound through a SOCKS5 proxy (then <see cref="HostAddress"/> is the proxy's): the server asked for.</summary>
    public string? SocksTarget { get; set; }

    public DateTimeOffset ConnectedAt { get; set; }

    /// <summary>The server's greeting (<c>smtp:connect</c>).</summary>
    public string? Banner { get; set; }

    /// <summary>The EHLO reply (outbound, <c>smtp:ehlo</c>).</summary>
    public string? Ehlo { get; set; }

    /// <summary>The subjects of the certificates presented (<c>tls:cert</c>).</summary>
    public List<string> Certificates { get; set; } = [];

    /// <summary>Policy's refusals and timeouts on the connection (<c>policy:verdict</c>), in order.</summary>
    public List<string> Refusals { get; set; } = [];

    /// <summary>TLS, syntax and protocol failures, in order.</summary>
    public List<string> Failures { get; set; } = [];

    public DateTimeOffset? ClosedAt { get; set; }

    /// <summary>Why it closed (<c>tcp:close</c>'s event data).</summary>
    public string? CloseReason { get; set; }

    /// <summary>The messages it carried, as counted when it closed.</summary>
    public int Messages { get; set; }

    /// <summary>Folds a connection stream; null when it does not start with <c>tcp:connect</c>.</summary>
    public static ConnectionSummary? From(IEnumerable<IEvent> events)
    {
        ConnectionSummary? summary = null;
        foreach (var e in events)
            summary = Fold(summary, e);
        return summary;
    }

    /// <summary>One event's effect: <c>tcp:connect</c> opens the summary.</summary>
    public static ConnectionSummary? Fold(ConnectionSummary? summary, IEvent e)
    {
        if (e.Data is TcpConnected connected)
        {
            return new ConnectionSummary
            {
                Id = connected.ConnectionId, Direction = connected.Direction, HostAddress = connected.HostAddress, HostPort = connected.HostPort,
                Host = connected.Host, ConnectedAt = e.Timestamp, Proxy = connected.Proxy, SocksTarget = connected.SocksTarget,
            };
        }

        if (summary is null)
            return null;
        switch (e.Data)
        {
            case SmtpConnected smtp:
                summary.Banner = smtp.EventData;
                break;
            case SmtpEhlo ehlo:
                summary.Ehlo = ehlo.EventData;
                break;
            case TlsCertificateSeen cert:
                summary.Certificates.Add(cert.Subject);
                break;
            case PolicyVerdictGiven verdict:
                summary.Refusals.Add($"{verdict.Stage}: {verdict.Reply}");
                break;
            case TlsConnectFailed tls:
                summary.Failures.Add($"tls:fail:connect: {tls.EventData}");
                break;
            case SmtpSyntaxFailed syntax:
                summary.Failures.Add($"smtp:fail:syntax: {syntax.EventData}");
                break;
            case SmtpProtocolFailed protocol:
                summary.Failures.Add($"smtp:fail:protocol: {protocol.EventData}");
                break;
            case TcpClosed closed:
                summary.ClosedAt = e.Timestamp;
                summary.CloseReason = closed.EventData;
                summary.Messages = closed.Messages;
                break;
        }

        return summary;
    }
}
