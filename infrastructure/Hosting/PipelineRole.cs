using Marten;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Pipeline.Infrastructure.Store;

namespace Pipeline.Infrastructure.Hosting;

/// <summary>
/// One of the four roles (ingress, policy, delivery, events). A process runs any subset of
/// them; each role adds its services, consumers, listeners and endpoints here.
/// </summary>
public abstract class PipelineRole
{
    /// <summary>The role's name in <c>Roles</c>: <c>ingress</c>, <c>policy</c>, <c>delivery</c> or <c>events</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The role's part of the store schema, registered whether the role runs or not.</summary>
    public virtual IStoreSchema? Schema => null;

    /// <summary>True when the role listens through Kestrel (SMTP or HTTP).</summary>
    public virtual bool UsesKestrel => false;

    /// <summary>Adds what the role runs on the store when it runs: the async daemon, subscriptions.</summary>
    public virtual void ConfigureStore(MartenServiceCollectionExtensions.MartenConfigurationExpression store, IConfiguration configuration) { }

    /// <summary>Adds the role's services.</summary>
    public virtual void ConfigureServices(IHostApplicationBuilder builder) { }

    /// <summary>Adds the role's consumers and request clients.</summary>
    public virtual void ConfigureBus(IBusRegistrationConfigurator bus) { }

    /// <summary>Adds the role's listeners.</summary>
    public virtual void ConfigureKestrel(KestrelServerOptions kestrel, IServiceProvider services) { }

    /// <summary>Maps the role's HTTP endpoints.</summary>
    public virtual void MapEndpoints(WebApplication app) { }
}
