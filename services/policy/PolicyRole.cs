using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pipeline.Contracts.Policy;
using Pipeline.Infrastructure.Configuration;
using Pipeline.Infrastructure.Hosting;
using Pipeline.Policy.Verdicts;

namespace Pipeline.Policy;

/// <summary>The policy role: answers ingress's checks, as any number of competing consumers.</summary>
public sealed class PolicyRole : PipelineRole
{
    /// <inheritdoc />
    public override string Name => "policy";

    /// <inheritdoc />
    public override void ConfigureServices(IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(builder.Configuration.GetSettings<PolicyOptions>(PolicyOptions.Section));
        builder.Services.AddSingleton<IVerdictSource, StaticVerdicts>();

        // An ingress in this same process calls policy directly: no broker, no serialization.
        builder.Services.AddSingleton<IPolicyService, LocalPolicyService>();
    }

    /// <inheritdoc />
    public override void ConfigureBus(IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<CheckPolicyConsumer>();
}
