using Pipeline.Contracts.Policy;

namespace Pipeline.Policy.Verdicts;

/// <summary>The verdict source of <c>Policy:Verdicts</c>: the first entry that applies decides; without one, accept.</summary>
public sealed class StaticVerdicts(PolicyOptions options) : IVerdictSource
{
    /// <inheritdoc />
    public Task<PolicyVerdict> DecideAsync(CheckPolicy check, CancellationToken cancellationToken)
    {
        var entry = options.Verdicts.FirstOrDefault(v => v.Applies(check));
        return Task.FromResult(entry is null ? PolicyVerdict.Accepted : new PolicyVerdict(entry.Action, entry.Message, ContentFilter: entry.ContentFilter));
    }
}
