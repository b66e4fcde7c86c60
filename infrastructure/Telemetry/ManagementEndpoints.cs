using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Pipeline.Infrastructure.Telemetry;

/// <summary>
/// <c>/health/live</c> (the process answers), <c>/health/ready</c> (PostgreSQL and the bus
/// answer: 200, else 503) on every HTTP listener, without a token; and on the management
/// listener alone, <c>/metrics</c> in Prometheus's text format. The management listener serves
/// nothing else, so that the API's endpoints never answer there without their tokens.
/// </summary>
public static class ManagementEndpoints
{
    /// <summary>The liveness path.</summary>
    public const string Live = "/health/live";

    /// <summary>The readiness path.</summary>
    public const string Ready = "/health/ready";

    /// <summary>The Prometheus scraping path.</summary>
    public const string Metrics = "/metrics";

    /// <summary>True for the paths that need no token: <c>/health</c> and what is under it.</summary>
    public static bool IsHealth(PathString path) => path.StartsWithSegments("/health");

    /// <summary>Adds the management listener's filter and its endpoints; call before the roles map theirs.</summary>
    public static void Use(WebApplication app, IPEndPoint? management)
    {
        if (management is not null)
        {
            var port = management.Port;
            app.Use(async (context, next) =>
            {
                if (context.Connection.LocalPort == port && !IsHealth(context.Request.Path) && context.Request.Path != Metrics)
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return;
                }

                await next(context);
            });
            app.UseOpenTelemetryPrometheusScrapingEndpoint(
                context => context.Connection.LocalPort == port && context.Request.Path == Metrics);
        }

        app.MapHealthChecks(Live, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks(Ready, new HealthCheckOptions { Predicate = r => r.Tags.Contains(TelemetryRegistration.ReadyTag), ResponseWriter = WriteAsync });
    }

    // {"status":"Healthy","checks":{"postgresql":{"status":"Healthy","description":null}, ...}}:
    // what failed, never a connection string (the checks' exceptions are left out).
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}
