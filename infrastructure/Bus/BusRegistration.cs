using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Infrastructure.Configuration;

namespace Pipeline.Infrastructure.Bus;

/// <summary>Sets up MassTransit on the transport that <c>Bus:Transport</c> names.</summary>
public static class BusRegistration
{
    /// <summary>
    /// Registers the bus; <paramref name="configureRoles"/> adds each active role's consumers
    /// and request clients. Endpoints get kebab-case names (<c>check-policy</c> ...), the same
    /// on every transport, so that any number of processes share them as competing consumers.
    /// </summary>
    public static IServiceCollection AddPipelineBus(
        this IServiceCollection services, IConfiguration configuration, Action<IBusRegistrationConfigurator> configureRoles)
    {
        var settings = configuration.GetSettings<BusSettings>(BusSettings.Section);
        services.AddSingleton(settings);
        services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            configureRoles(bus);
            switch (settings.Transport)
            {
                case BusTransport.RabbitMQ:
                    var rabbit = settings.RabbitMQ;
                    bus.UsingRabbitMq((context, cfg) =>
                    {
                        cfg.Host(rabbit.Host, (ushort)rabbit.Port, rabbit.VirtualHost, h =>
                        {
                            h.Username(rabbit.Username);
                            h.Password(rabbit.Password);
                        });
                        cfg.ConfigureEndpoints(context);
                    });
                    break;
                default:
                    bus.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
                    break;
            }
        });
        return services;
    }
}
