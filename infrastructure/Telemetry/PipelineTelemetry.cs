using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Pipeline.Infrastructure.Telemetry;

/// <summary>
/// The pipeline's one meter and one activity source, both named <c>Pipeline</c>: each role
/// defines its instruments and spans on them, and OpenTelemetry exports what it listens to.
/// Without a listener (no OTLP endpoint), starting a span costs a null check.
/// </summary>
public static class PipelineTelemetry
{
    /// <summary>The meter's and the activity source's name.</summary>
    public const string Name = "Pipeline";

    /// <summary>The attribute every span and log of one message carries: its id.</summary>
    public const string MessageIdAttribute = "pipeline.message_id";

    /// <summary>The source of the pipeline's spans.</summary>
    public static ActivitySource Source { get; } = new(Name);

    /// <summary>The meter of the pipeline's instruments.</summary>
    public static Meter Meter { get; } = new(Name);

    /// <summary>The seconds since <paramref name="startedAt"/>, a <see cref="Stopwatch"/> timestamp.</summary>
    public static double SecondsSince(long startedAt) => Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
}
