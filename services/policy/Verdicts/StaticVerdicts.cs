using Pipeline.Contracts.Policy;

namespace Pipeline.Policy.Verdicts;

/// <summary>The verdict source of <c>Policy:Verdicts</c>: the first entry that applies decides; without one, accept.</summary>
public sealed class StaticVerdicts(PolicyOptions options) : IVerdictSource
{
    /// <summary>The verdict of the first entry that applies to <paramref name="check"/>, or null.</summary>
    public PolicyVerdict? Find(CheckPolicy check) =>
        options.Verdicts.FirstOrDefault(v => v.Applies(check)) is { } entry
            ? new PolicyVerdict(entry.Action, entry.Message, ContentFilter: entry.ContentFilter)
            : null;

    /// <inheritdoc />
    public Task<PolicyVerdict> DecideAsync(CheckPolicy check, CancellationToken cancellationToken) =>
        Task.FromResult(Find(check) ?? PolicyVerdict.Accepted);
}
