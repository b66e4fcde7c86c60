using System.Text.Json.Serialization;
using JasperFx.Events.Daemon;
using Marten;
using MassTransit;
using Pipeline.Contracts.Queue;
using Pipeline.Events.Bus;
using Pipeline.Events.Dmarc;
using Pipeline.Infrastructure.Dns;
using Pipeline.Events.Projections;
using Pipeline.Events.Replay;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Pipeline.Events.Http;
using Pipeline.Events.Webhooks;
using Pipeline.Infrastructure.Store;
using Microsoft.Extensions.Configuration;
using Pipeline.Infrastructure.Configuration;
using Pipeline.Infrastructure.Hosting;

namespace Pipeline.Events;

/// <summary>The events role: the HTTP API over the event store.</summary>
public sealed class EventsRole : PipelineRole
{
    /// <inheritdoc />
    public override string Name => "events";

    /// <inheritdoc />
    public override bool UsesKestrel => true;

    /// <inheritdoc />
    public override IStoreSchema Schema { get; } = new ProjectionSchema();

    /// <inheritdoc />
    public override void ConfigureStore(MartenServiceCollectionExtensions.MartenConfigurationExpression store, IConfiguration configuration)
    {
        // One events process at a time runs the projections and the bus forwarder (an advisory
        // lock elects it); the others take over when it goes.
        store.Services.ConfigureMarten(ProjectionSchema.AddProjections);
        store.AddAsyncDaemon(DaemonMode.HotCold);
        var options = configuration.GetSettings<EventsOptions>(EventsOptions.Section);
        var transport = configuration.GetSettings<BusSettings>(BusSettings.Section).Transport;
        // The forwarder reads the log in pages as large as the projections' pages: each read
        // joins its events to the streams table, and with pages of 500 events those reads made
        // PostgreSQL's CPU per message a quarter higher with the roles apart (1.66 ms against
        // 1.28 to 1.32). A page is the most a restart publishes again (at least once).
        if (options.PublishToBus ?? transport == BusTransport.RabbitMQ)
            store.AddSubscriptionWithServices<BusForwarder>(ServiceLifetime.Singleton, s => s.Options.BatchSize = ProjectionSchema.PageSize);
    }

    /// <inheritdoc />
    public override void ConfigureServices(IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSettings<EventsOptions>(EventsOptions.Section);
        for (var i = 0; i < options.Webhooks.Count; i++)
        {
            if (options.Webhooks[i].Url is not { IsAbsoluteUri: true } url || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
                throw new InvalidOperationException($"Events:Webhooks:{i}:Url must be an http or https URL");
            if (options.Webhooks[i].Secret.Length < 16)
                throw new InvalidOperationException($"Events:Webhooks:{i}:Secret needs at least 16 characters");
        }

        builder.Services.AddSingleton(options);
        builder.Services.Configure<JsonOptions>(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<EventFeed>();
        builder.Services.AddSingleton<QueueListing>();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Pipeline events API";
            document.Info.Description = "The history of every message and SMTP connection, searches, the queue, replay and live events.";
            return Task.CompletedTask;
        }));
        builder.Services.AddSingleton<WebhookDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        builder.Services.AddSingleton<Replayer>();
        options.DmarcReports.Validate();
        builder.Services.AddSingleton(options.DmarcReports);
        builder.Services.TryAddSingleton<IDnsResolver, DnsClientResolver>();
        builder.Services.TryAddSingleton(builder.Configuration.GetSettings<DnsSettings>(DnsSettings.Section));
        builder.Services.AddSingleton<DmarcHistory>();
        builder.Services.AddSingleton<AggregateReporter>();
        builder.Services.AddSingleton<FailureReporter>();
        builder.Services.AddHostedService<DmarcReportService>();
    }

    /// <inheritdoc />
    public override void ConfigureBus(IBusRegistrationConfigurator bus)
    {
        bus.AddRequestClient<RetryMessage>();
        bus.AddRequestClient<CancelMessage>();
    }

    /// <inheritdoc />
    public override void ConfigureKestrel(KestrelServerOptions kestrel, IServiceProvider services)
    {
        var options = services.GetRequiredService<EventsOptions>();
        var listen = EndPoints.Parse(options.Listen);
        ApiAuthentication.Validate(options, listen);
        kestrel.Listen(listen);
    }

    /// <inheritdoc />
    public override void MapEndpoints(WebApplication app)
    {
        ApiAuthentication.Use(app, app.Services.GetRequiredService<EventsOptions>());
        MessageEndpoints.Map(app);
        EventEndpoints.Map(app);
        QueueEndpoints.Map(app);
        ProjectionEndpoints.Map(app);
        DmarcEndpoints.Map(app);
        app.MapOpenApi(); // GET /openapi/v1.json
    }
}
