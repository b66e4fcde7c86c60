using Microsoft.Extensions.Logging.Console;
using Pipeline.Delivery;
using Pipeline.Events;
using Pipeline.Infrastructure.Bus;
using Pipeline.Infrastructure.Hosting;
using Pipeline.Infrastructure.Store;
using Pipeline.Infrastructure.Telemetry;
using Pipeline.Ingress;
using Pipeline.Policy;

// One executable runs any subset of the four roles: all of them on the in-memory bus for the
// embedded run, or one role per process on RabbitMQ. `Roles` (e.g. --Roles ingress,policy)
// picks them; the default is all four.
PipelineRole[] known = [new IngressRole(), new PolicyRole(), new DeliveryRole(), new EventsRole()];

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
var wanted = (builder.Configuration["Roles"] ?? "ingress,policy,delivery,events")
    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
    .Select(r => r.ToLowerInvariant())
    .ToHashSet();
var unknown = wanted.Except(known.Select(r => r.Name)).ToList();
if (unknown.Count > 0 || wanted.Count == 0)
{
    Console.Error.WriteLine($"Roles: unknown role(s) '{string.Join(",", unknown)}'; choose from ingress, policy, delivery, events");
    return 2;
}

var roles = known.Where(r => wanted.Contains(r.Name)).ToList();
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
    o.ColorBehavior = LoggerColorBehavior.Disabled;
});

System.Net.IPEndPoint? management;
try
{
    management = builder.AddPipelineTelemetry(roles.Select(r => r.Name).ToList());
    var store = builder.Services.AddPipelineStore(builder.Configuration, known.Select(r => r.Schema).OfType<IStoreSchema>());
    foreach (var role in roles)
    {
        role.ConfigureStore(store, builder.Configuration);
        role.ConfigureServices(builder);
    }
    builder.Services.AddPipelineBus(builder.Configuration, bus =>
    {
        foreach (var role in roles)
            role.ConfigureBus(bus);
    });
}
catch (Exception e) when (e is InvalidOperationException or FormatException)
{
    Console.Error.WriteLine($"Configuration error: {e.Message}");
    return 2;
}

// Kestrel listens only where a role asks it to, and on the management address when one is
// set; a process with neither ingress nor events nor that listens nowhere.
builder.WebHost.ConfigureKestrel(kestrel =>
{
    foreach (var role in roles)
        role.ConfigureKestrel(kestrel, kestrel.ApplicationServices);
    if (management is not null)
        kestrel.Listen(management);
});
if (!roles.Any(r => r.UsesKestrel) && management is null)
    builder.Services.AddSingleton<Microsoft.AspNetCore.Hosting.Server.IServer, NoServer>();

WebApplication app;
try
{
    app = builder.Build();
}
catch (InvalidOperationException e)
{
    // Kestrel's options, and with them the listeners' checks, are read as the host is built.
    Console.Error.WriteLine($"Configuration error: {e.Message}");
    return 2;
}

ManagementEndpoints.Use(app, management);
foreach (var role in roles)
    role.MapEndpoints(app);

app.Lifetime.ApplicationStarted.Register(() =>
{
    var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Pipeline");
    log.LogInformation("Pipeline started: roles {Roles}", string.Join(",", roles.Select(r => r.Name)));
    if (roles.Any(r => r.Name == "ingress"))
        log.LogInformation("SMTP listening on {Listen}", app.Services.GetRequiredService<IngressOptions>().Listen);
    if (roles.Any(r => r.Name == "events"))
        log.LogInformation("HTTP API listening on {Listen}", app.Services.GetRequiredService<EventsOptions>().Listen);
    if (management is not null)
        log.LogInformation("Health and metrics listening on {Listen}", management);
});

// Read before the run: RunAsync disposes the host, and with it the lifetime.
var stopping = app.Lifetime.ApplicationStopping;
try
{
    await app.RunAsync();
}
catch (OperationCanceledException) when (stopping.IsCancellationRequested)
{
    // Stopped while it was still starting (waiting for PostgreSQL): as asked, not a failure.
}

return 0;

/// <summary>The server of a process that listens nowhere (policy and delivery workers).</summary>
internal sealed class NoServer : Microsoft.AspNetCore.Hosting.Server.IServer
{
    public Microsoft.AspNetCore.Http.Features.IFeatureCollection Features { get; } = new Microsoft.AspNetCore.Http.Features.FeatureCollection();

    public Task StartAsync<TContext>(Microsoft.AspNetCore.Hosting.Server.IHttpApplication<TContext> application, CancellationToken cancellationToken)
        where TContext : notnull => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() { }
}
