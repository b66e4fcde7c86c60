using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Pipeline.Contracts.Policy;
using Pipeline.Infrastructure.Configuration;
using Pipeline.Infrastructure.Dns;
using Pipeline.Infrastructure.Hosting;
using Pipeline.Policy.Dkim;
using Pipeline.Policy.Dmarc;
using Pipeline.Policy.Lookups;
using Pipeline.Policy.Rules;
using Pipeline.Policy.Spf;
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
        var options = builder.Configuration.GetSettings<PolicyOptions>(PolicyOptions.Section);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(options.Rules is { Length: > 0 } file
            ? RuleFileParser.Parse(File.ReadAllText(file), file)
            : RuleSet.Empty);
        builder.Services.TryAddSingleton(builder.Configuration.GetSettings<DnsSettings>(DnsSettings.Section));
        builder.Services.TryAddSingleton<IDnsResolver, DnsClientResolver>();
        builder.Services.AddSingleton<SpfChecker>();
        builder.Services.AddSingleton<RedisLookup>();
        builder.Services.AddSingleton<DkimChecker>();
        builder.Services.AddSingleton(_ => PublicSuffixList.Load(options.PublicSuffixList));
        builder.Services.AddSingleton(sp => new DmarcEvaluator(sp.GetRequiredService<IDnsResolver>(), sp.GetRequiredService<PublicSuffixList>()));
        builder.Services.AddSingleton(sp => new PolicyServices(sp.GetRequiredService<SpfChecker>(), sp.GetRequiredService<DkimChecker>(),
            sp.GetRequiredService<DmarcEvaluator>(), sp.GetRequiredService<RedisLookup>(), options.PrimaryHostname));
        builder.Services.AddSingleton<AclEvaluator>();
        builder.Services.AddSingleton<StaticVerdicts>();
        builder.Services.AddSingleton<RuleVerdicts>();
        builder.Services.AddSingleton<IVerdictSource>(sp => new MeasuredVerdicts(sp.GetRequiredService<RuleVerdicts>()));

        // An ingress in this same process calls policy directly: no broker, no serialization.
        builder.Services.AddSingleton<IPolicyService, LocalPolicyService>();
    }

    /// <inheritdoc />
    public override void ConfigureBus(IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<CheckPolicyConsumer>();
}
