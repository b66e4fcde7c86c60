using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Policy;

namespace Pipeline.Ingress.Verdicts;

/// <summary>
/// Asks the policy service for a verdict and waits no longer than
/// <see cref="IngressOptions.PolicyTimeout"/>. No verdict in time, or a fault, is a deferral:
/// ingress never accepts what policy did not judge. When the policy role runs in this process
/// it is called directly (<see cref="IPolicyService"/>); otherwise the request goes over the
/// bus to any policy worker.
/// </summary>
public sealed class PolicyClient(IServiceProvider services, IngressOptions options, ILogger<PolicyClient> log)
{
    private readonly IPolicyService? _local = services.GetService<IPolicyService>();
    private readonly IRequestClient<CheckPolicy>? _bus =
        services.GetService<IPolicyService>() is null ? services.GetRequiredService<IClientFactory>().CreateRequestClient<CheckPolicy>() : null;

    /// <summary>The verdict, or a deferral when none came.</summary>
    public async Task<(PolicyVerdict Verdict, bool TimedOut)> CheckAsync(
        Func<DateTimeOffset, CheckPolicy> request, CancellationToken cancellationToken)
    {
        var check = request(DateTimeOffset.UtcNow + options.PolicyTimeout);
        try
        {
            if (_local is not null)
                return (await _local.CheckAsync(check, cancellationToken).WaitAsync(options.PolicyTimeout, cancellationToken).ConfigureAwait(false), false);
            var response = await _bus!.GetResponse<PolicyVerdict>(
                check, cancellationToken, RequestTimeout.After(ms: (int)options.PolicyTimeout.TotalMilliseconds)).ConfigureAwait(false);
            return (response.Message, false);
        }
        catch (Exception e) when (e is RequestTimeoutException or TimeoutException)
        {
            log.LogWarning("No policy verdict for {Stage} on connection {ConnectionId} within {Timeout}",
                check.Stage, check.ConnectionId, options.PolicyTimeout);
            return (new PolicyVerdict(PolicyAction.Defer, "policy service did not answer in time"), true);
        }
        catch (RequestFaultException e)
        {
            log.LogError("Policy failed on {Stage} for connection {ConnectionId}: {Fault}",
                check.Stage, check.ConnectionId, e.Message);
            return (new PolicyVerdict(PolicyAction.Defer, "policy check failed"), false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The bus itself is unreachable: as with no answer, defer.
            log.LogError(e, "Could not ask policy on {Stage} for connection {ConnectionId}", check.Stage, check.ConnectionId);
            return (new PolicyVerdict(PolicyAction.Defer, "policy service unavailable"), false);
        }
    }
}
