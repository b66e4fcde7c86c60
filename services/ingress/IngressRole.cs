using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Pipeline.Infrastructure.Configuration;
using Pipeline.Infrastructure.Hosting;
using Pipeline.Infrastructure.Logging;
using Pipeline.Ingress.Smtp;
using Pipeline.Ingress.Auth;
using Pipeline.Ingress.Spool;
using Pipeline.Ingress.Tls;
using Pipeline.Ingress.Verdicts;

using Pipeline.Infrastructure.Store;

namespace Pipeline.Ingress;

/// <summary>The ingress role: the SMTP server.</summary>
public sealed class IngressRole : PipelineRole
{
    /// <inheritdoc />
    public override string Name => "ingress";

    /// <inheritdoc />
    public override bool UsesKestrel => true;

    /// <inheritdoc />
    public override void ConfigureServices(IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSettings<IngressOptions>(IngressOptions.Section);
        options.Validate();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(SmtpListeners.Parse(options.Listen));
        builder.Services.TryAddSingleton<MainLog>();
        builder.Services.AddSingleton<PolicyClient>();
        builder.Services.AddSingleton<MessageSpooler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MessageSpooler>());
        builder.Services.AddSingleton<ConnectionLimiter>();
        builder.Services.AddSingleton<ServerCertificates>();
        builder.Services.AddHostedService<OcspRefresher>();
        builder.Services.AddSingleton<Credentials>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<AuthThrottle>();
    }

    /// <inheritdoc />
    public override void ConfigureKestrel(KestrelServerOptions kestrel, IServiceProvider services)
    {
        foreach (var endPoint in services.GetRequiredService<SmtpListeners>().EndPoints)
            kestrel.Listen(endPoint, l => l.UseConnectionHandler<SmtpConnectionHandler>());
    }
}
