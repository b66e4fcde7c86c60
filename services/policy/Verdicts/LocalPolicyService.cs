using Pipeline.Contracts.Policy;

namespace Pipeline.Policy.Verdicts;

/// <summary>The policy service as an in-process call, for an ingress in the same process.</summary>
public sealed class LocalPolicyService(IVerdictSource verdicts) : IPolicyService
{
    /// <inheritdoc />
    public Task<PolicyVerdict> CheckAsync(CheckPolicy check, CancellationToken cancellationToken) =>
        verdicts.DecideAsync(check, cancellationToken);
}
