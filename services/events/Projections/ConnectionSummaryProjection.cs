using JasperFx.Events;
using Marten.Events.Aggregation;
using Pipeline.Contracts.Events;

namespace Pipeline.Events.Projections;

/// <summary>Keeps a <see cref="ConnectionSummary"/> document per SMTP connection, asynchronously.</summary>
public sealed class ConnectionSummaryProjection : SingleStreamProjection<ConnectionSummary, string>
{
    /// <summary>The projection's name, for rebuilds.</summary>
    public const string ProjectionName = "connection-summary";

    /// <summary>Subscribes to the connection events.</summary>
    public ConnectionSummaryProjection()
    {
        Name = ProjectionName;
        IncludeType<TcpConnected>();
        IncludeType<SmtpConnected>();
        IncludeType<SmtpEhlo>();
        IncludeType<TlsCertificateSeen>();
        IncludeType<PolicyVerdictGiven>();
        IncludeType<TlsConnectFailed>();
        IncludeType<SmtpSyntaxFailed>();
        IncludeType<SmtpProtocolFailed>();
        IncludeType<TcpClosed>();
    }

    /// <inheritdoc />
    public override ConnectionSummary? Evolve(ConnectionSummary? snapshot, string id, IEvent e) => ConnectionSummary.Fold(snapshot, e);
}
