using System.Diagnostics.Metrics;
using Pipeline.Infrastructure.Telemetry;

namespace Pipeline.Ingress.Smtp;

/// <summary>Ingress's instruments on the <c>Pipeline</c> meter (docs/deployment.md lists them with their Prometheus names).</summary>
internal static class IngressMetrics
{
    /// <summary>Messages committed and answered 250.</summary>
    public static readonly Counter<long> Received = PipelineTelemetry.Meter.CreateCounter<long>(
        "pipeline.messages.received", "{message}", "Messages accepted: stored, then answered 250");

    /// <summary>Refusals by policy, by stage (connect, helo, mail, rcpt, data, prdr ...) and class (4xx or 5xx).</summary>
    public static readonly Counter<long> Refused = PipelineTelemetry.Meter.CreateCounter<long>(
        "pipeline.messages.refused", "{refusal}", "Commands refused by policy, by stage and reply class");

    /// <summary>Open inbound SMTP connections.</summary>
    public static readonly UpDownCounter<long> ConnectionsIn = PipelineTelemetry.Meter.CreateUpDownCounter<long>(
        "pipeline.smtp.connections.in", "{connection}", "Inbound SMTP connections open");

    /// <summary>How long inbound SMTP sessions last, from connect to close.</summary>
    public static readonly Histogram<double> SessionDuration = PipelineTelemetry.Meter.CreateHistogram<double>(
        "pipeline.smtp.session.duration", "s", "Inbound SMTP sessions, connect to close");

    /// <summary>How long inbound transactions last, from MAIL to the final reply, by outcome (accepted or refused).</summary>
    public static readonly Histogram<double> TransactionDuration = PipelineTelemetry.Meter.CreateHistogram<double>(
        "pipeline.smtp.transaction.duration", "s", "Inbound mail transactions, MAIL to the final reply after the content");
}
