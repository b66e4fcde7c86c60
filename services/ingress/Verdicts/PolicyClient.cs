using MassTransit;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Policy;

namespace Pipeline.Ingress.Verdicts;

/// <summary>
/// Asks the policy service for a verdict over the bus and waits no longer than
/// <see cref="IngressOptions.PolicyTimeout"/>. No verdict in time, or a fault, is a deferral:
/// ingress never accepts what policy did not judge.
/// </summary>
public sealed class PolicyClient(IRequestClient<CheckPolicy> client, IngressOptions options, ILogger<PolicyClient> log)
{
    /// <summary>The verdict, or a deferral when none came.</summary>
    public async Task<(PolicyVerdict Verdict, bool TimedOut)> CheckAsync(
        Func<DateTimeOffset, CheckPolicy> request, CancellationToken cancellationToken)
    {
        var check = request(DateTimeOffset.UtcNow + options.PolicyTimeout);
        try
        {
            var response = await client.GetResponse<PolicyVerdict>(
                check, cancellationToken, RequestTimeout.After(ms: (int)options.PolicyTimeout.TotalMilliseconds)).ConfigureAwait(false);
            return (response.Message, false);
        }
        catch (RequestTimeoutException)
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
