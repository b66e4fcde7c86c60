using System.Diagnostics;
using System.Diagnostics.Metrics;
using Pipeline.Contracts.Events;
using Pipeline.Infrastructure.Telemetry;

namespace Pipeline.Delivery;

/// <summary>Delivery's instruments on the <c>Pipeline</c> meter, and the span of an attempt.</summary>
internal static class DeliveryMetrics
{
    private static readonly Counter<long> Recipients = PipelineTelemetry.Meter.CreateCounter<long>(
        "pipeline.recipients", "{recipient}", "Recipient outcomes of delivery attempts: delivered, deferred or failed");

    private static readonly Counter<long> Bounces = PipelineTelemetry.Meter.CreateCounter<long>(
        "pipeline.bounces", "{message}", "Bounce messages (RFC 3464 reports to the sender) queued");

    private static readonly Histogram<double> AttemptDuration = PipelineTelemetry.Meter.CreateHistogram<double>(
        "pipeline.delivery.attempt.duration", "s", "Delivery attempts of one message, claim to commit, by result");

    private static readonly Counter<long> MessageReads = PipelineTelemetry.Meter.CreateCounter<long>(
        "pipeline.delivery.message.reads", "{message}",
        "Messages an attempt started on, by where it found them: memory (handed off by ingress in this process) or store");

    /// <summary>Counts an attempt's message, <paramref name="handedOff"/> by ingress in memory or read from the store.</summary>
    public static void MessageRead(bool handedOff) =>
        MessageReads.Add(1, new KeyValuePair<string, object?>("source", handedOff ? "memory" : "store"));

    /// <summary>Open outbound SMTP connections, pooled ones included.</summary>
    public static readonly UpDownCounter<long> ConnectionsOut = PipelineTelemetry.Meter.CreateUpDownCounter<long>(
        "pipeline.smtp.connections.out", "{connection}", "Outbound SMTP connections open");

    /// <summary>
    /// The span of one attempt, a child of the span that received the message when its
    /// <c>msg:received</c> carries a traceparent, so that one trace shows the message's journey.
    /// </summary>
    public static Activity? StartAttempt(MessageReceived received, int number)
    {
        var span = ActivityContext.TryParse(received.TraceParent, null, out var parent)
            ? PipelineTelemetry.Source.StartActivity("delivery attempt", ActivityKind.Client, parent)
            : PipelineTelemetry.Source.StartActivity("delivery attempt", ActivityKind.Client);
        span?.SetTag(PipelineTelemetry.MessageIdAttribute, received.MessageId);
        span?.SetTag("pipeline.attempt", number);
        return span;
    }

    /// <summary>Counts a recorded attempt's outcomes and times it: the result is deferred when any recipient was, else failed when any failed, else delivered.</summary>
    public static void Recorded(IReadOnlyList<object> events, bool bounced, long startedAt, Activity? span)
    {
        int delivered = 0, deferred = 0, failed = 0;
        foreach (var e in events)
        {
            switch (e)
            {
                case RecipientDelivered:
                    delivered++;
                    break;
                case RecipientDeferred:
                    deferred++;
                    break;
                case RecipientFailed or RecipientFailedInternally:
                    failed++;
                    break;
            }
        }

        if (delivered > 0)
            Recipients.Add(delivered, new KeyValuePair<string, object?>("outcome", "delivered"));
        if (deferred > 0)
            Recipients.Add(deferred, new KeyValuePair<string, object?>("outcome", "deferred"));
        if (failed > 0)
            Recipients.Add(failed, new KeyValuePair<string, object?>("outcome", "failed"));
        if (bounced)
            Bounces.Add(1);
        var result = deferred > 0 ? "deferred" : failed > 0 ? "failed" : "delivered";
        AttemptDuration.Record(PipelineTelemetry.SecondsSince(startedAt), new KeyValuePair<string, object?>("result", result));
        span?.SetTag("pipeline.result", result);
    }
}
