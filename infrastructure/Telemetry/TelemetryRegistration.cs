using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Pipeline.Infrastructure.Configuration;
using Pipeline.Infrastructure.Hosting;

namespace Pipeline.Infrastructure.Telemetry;

/// <summary>Sets up health checks, metrics and traces for the roles a process runs.</summary>
public static class TelemetryRegistration
{
    /// <summary>The health checks' tag that readiness counts: PostgreSQL's here, the bus's from MassTransit.</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// Registers the health checks (PostgreSQL through the store's data source; MassTransit adds
    /// the bus's), the <c>Pipeline</c> meter with the runtime's, the Prometheus exporter when
    /// <c>Management:Listen</c> is set, and OTLP export of traces and metrics when
    /// <c>Telemetry:OtlpEndpoint</c> is. Returns the management listener's end point, if any.
    /// </summary>
    /// <exception cref="InvalidOperationException">A setting is invalid.</exception>
    public static IPEndPoint? AddPipelineTelemetry(this IHostApplicationBuilder builder, IReadOnlyCollection<string> roles)
    {
        var management = builder.Configuration.GetSettings<ManagementSettings>(ManagementSettings.Section);
        var telemetry = builder.Configuration.GetSettings<TelemetrySettings>(TelemetrySettings.Section);
        IPEndPoint? listen = null;
        if (!string.IsNullOrWhiteSpace(management.Listen))
        {
            try
            {
                listen = EndPoints.Parse(management.Listen);
            }
            catch (FormatException e)
            {
                throw new InvalidOperationException($"Management:Listen: {e.Message}");
            }
        }

        Uri? otlp = null;
        if (!string.IsNullOrWhiteSpace(telemetry.OtlpEndpoint))
        {
            SettingsExtensions.Require(Uri.TryCreate(telemetry.OtlpEndpoint.TrimEnd('/') + "/", UriKind.Absolute, out otlp)
                                       && otlp.Scheme is "http" or "https",
                $"Telemetry:OtlpEndpoint '{telemetry.OtlpEndpoint}' is not an http or https address such as http://collector:4318");
        }

        builder.Services.AddSingleton(management);
        builder.Services.AddSingleton(telemetry);
        builder.Services.AddHealthChecks()
            .AddNpgSql(name: "postgresql", tags: [ReadyTag], timeout: TimeSpan.FromSeconds(5));

        var serviceName = string.IsNullOrWhiteSpace(telemetry.ServiceName) ? "pipeline-" + string.Join("-", roles) : telemetry.ServiceName;
        var open = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceInstanceId: $"{Environment.MachineName}/{Environment.ProcessId}"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(PipelineTelemetry.Name).AddRuntimeInstrumentation();
                if (listen is not null)
                    metrics.AddPrometheusExporter();
                if (otlp is not null)
                    metrics.AddOtlpExporter(o => Point(o, otlp, "v1/metrics"));
            });
        // Spans are made only when they go somewhere: without a listener the sources stay silent.
        if (otlp is not null)
        {
            open.WithTracing(tracing => tracing
                .AddSource(PipelineTelemetry.Name, "MassTransit")
                .AddOtlpExporter(o => Point(o, otlp, "v1/traces")));
        }

        return listen;
    }

    // Set in code, the endpoint is taken as the whole address: the signal's path is not added.
    private static void Point(OtlpExporterOptions options, Uri collector, string path)
    {
        options.Protocol = OtlpExportProtocol.HttpProtobuf;
        options.Endpoint = new Uri(collector, path);
    }
}
