using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Pipeline.Events.Http;
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
    public override void ConfigureServices(IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(builder.Configuration.GetSettings<EventsOptions>(EventsOptions.Section));
        builder.Services.Configure<JsonOptions>(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<EventFeed>();
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
    }
}
