using System.Diagnostics;
using System.Diagnostics.Metrics;
using Pipeline.Contracts.Policy;
using Pipeline.Infrastructure.Telemetry;

namespace Pipeline.Policy.Verdicts;

/// <summary>
/// Times every check of the verdict source it wraps, by stage and action
/// (<c>pipeline.policy.check.duration</c>), and makes it a span of the message's trace:
/// under the bus's consume span, or the ingress session's in one process.
/// </summary>
public sealed class MeasuredVerdicts(IVerdictSource inner) : IVerdictSource
{
    private static readonly Histogram<double> CheckDuration = PipelineTelemetry.Meter.CreateHistogram<double>(
        "pipeline.policy.check.duration", "s", "Policy checks, by stage and verdict");

    // The tag values, made once: a check is on the hot path.
    private static readonly string[] Stages = Enum.GetNames<PolicyStage>().Select(n => n.ToLowerInvariant()).ToArray();
    private static readonly string[] Actions = Enum.GetNames<PolicyAction>().Select(n => n.ToLowerInvariant()).ToArray();

    /// <inheritdoc />
    public async Task<PolicyVerdict> DecideAsync(CheckPolicy check, CancellationToken cancellationToken)
    {
        var stage = Stages[(int)check.Stage];
        using var span = PipelineTelemetry.Source.StartActivity("policy check");
        span?.SetTag("pipeline.stage", stage);
        span?.SetTag("pipeline.connection_id", check.ConnectionId);
        var startedAt = Stopwatch.GetTimestamp();
        var action = "error";
        try
        {
            var verdict = await inner.DecideAsync(check, cancellationToken).ConfigureAwait(false);
            action = Actions[(int)verdict.Action];
            return verdict;
        }
        finally
        {
            span?.SetTag("pipeline.verdict", action);
            CheckDuration.Record(PipelineTelemetry.SecondsSince(startedAt), new("stage", stage), new("verdict", action));
        }
    }
}
