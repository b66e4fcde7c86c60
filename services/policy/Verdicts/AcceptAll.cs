using Pipeline.Contracts.Policy;

namespace Pipeline.Policy.Verdicts;

/// <summary>The verdict source when no rules are configured: everything is accepted.</summary>
public sealed class AcceptAll : IVerdictSource
{
    /// <inheritdoc />
    public Task<PolicyVerdict> DecideAsync(CheckPolicy check, CancellationToken cancellationToken) =>
        Task.FromResult(PolicyVerdict.Accepted);
}
