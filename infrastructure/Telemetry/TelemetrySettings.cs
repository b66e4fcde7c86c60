namespace Pipeline.Infrastructure.Telemetry;

/// <summary>The <c>Management</c> section: the HTTP listener for health and metrics.</summary>
public sealed class ManagementSettings
{
    /// <summary>The configuration section's name.</summary>
    public const string Section = "Management";

    /// <summary>
    /// Where <c>/health/live</c>, <c>/health/ready</c> and <c>/metrics</c> answer, without a
    /// token (e.g. <c>http://0.0.0.0:9090</c> in a container); empty, the default, for none.
    /// Nothing else answers there.
    /// </summary>
    public string Listen { get; set; } = "";
}

/// <summary>The <c>Telemetry</c> section: where traces and metrics are pushed.</summary>
public sealed class TelemetrySettings
{
    /// <summary>The configuration section's name.</summary>
    public const string Section = "Telemetry";

    /// <summary>
    /// An OpenTelemetry collector's OTLP/HTTP base address (e.g. <c>http://collector:4318</c>):
    /// traces go to <c>/v1/traces</c> and metrics to <c>/v1/metrics</c> under it. Empty, the
    /// default: no traces are made, and metrics are only served on <c>/metrics</c>.
    /// </summary>
    public string OtlpEndpoint { get; set; } = "";

    /// <summary>The service name the exported data carries; defaults to <c>pipeline-</c> and the roles, e.g. <c>pipeline-delivery</c>.</summary>
    public string ServiceName { get; set; } = "";
}
