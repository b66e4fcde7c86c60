using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Pipeline.Delivery.Queue;
using Pipeline.Delivery.Retry;
using Pipeline.Delivery.Routing;
using Pipeline.Delivery.Smtp;
using Pipeline.Infrastructure.Configuration;
using Pipeline.Infrastructure.Dns;
using Pipeline.Infrastructure.Hosting;
using Pipeline.Infrastructure.Logging;
using Pipeline.Infrastructure.Store;
using Pipeline.Delivery.Signing;
using Pipeline.Delivery.EventActions;

namespace Pipeline.Delivery;

/// <summary>The delivery role: the queue runner and the SMTP client.</summary>
public sealed class DeliveryRole : PipelineRole
{
    /// <inheritdoc />
    public override string Name => "delivery";

    /// <inheritdoc />
    public override IStoreSchema Schema { get; } = new QueueSchema();

    /// <inheritdoc />
    public override void ConfigureServices(IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSettings<DeliveryOptions>(DeliveryOptions.Section);
        options.Validate();
        var services = builder.Services;
        services.AddSingleton(options);
        services.TryAddSingleton(builder.Configuration.GetSettings<DnsSettings>(DnsSettings.Section));
        services.TryAddSingleton<IDnsResolver, DnsClientResolver>();
        services.TryAddSingleton<MainLog>();
        services.TryAddSingleton(TimeProvider.System);
        // The hot hand-off: ingress, when it runs in this process too, leaves what it commits here.
        services.Replace(ServiceDescriptor.Singleton(sp => new CommittedMessages(true, sp.GetRequiredService<TimeProvider>())));
        services.AddSingleton<Router>();
        services.TryAddSingleton<Sts.IStsPolicySource, Sts.StsPolicyFetcher>();
        services.AddSingleton<Sts.StsPolicies>();
        services.AddSingleton(sp => new LocalHost(options, sp.GetService<SmtpListeners>()));
        services.AddSingleton<SmtpTransport>();
        services.AddSingleton<ConnectionPool>();
        services.AddSingleton<ServerSlots>();
        services.AddSingleton<HostRetry>();
        if (options.EventAction is not null)
            services.TryAddSingleton<IEventAction>(sp => new HttpEventAction(new HttpClient(), options,
                sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<HttpEventAction>>()));
        else
            services.TryAddSingleton<IEventAction, NoEventAction>();
        services.AddHostedService(sp => sp.GetRequiredService<ConnectionPool>());
        services.AddSingleton<DkimSigning>();
        services.AddSingleton<MessageDeliverer>();
        services.AddSingleton<OutcomeCommitter>();
        services.AddHostedService(sp => sp.GetRequiredService<OutcomeCommitter>());
        services.AddSingleton<QueueClaims>();
        services.AddHostedService<QueueGauges>();
        services.AddSingleton<ClaimHeartbeat>();
        services.AddHostedService(sp => sp.GetRequiredService<ClaimHeartbeat>());
        services.AddSingleton<QueueRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<QueueRunner>());
        if (options.TlsReports.Enabled)
        {
            services.AddSingleton<TlsReports.TlsSessionCounts>();
            services.AddSingleton<TlsReports.TlsReportSender>();
            services.AddHostedService<TlsReports.TlsReportScheduler>();
        }
    }

    /// <inheritdoc />
    public override void ConfigureBus(IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<MessageQueuedConsumer>();
        bus.AddConsumer<QueueCommandConsumer>();
    }
}
