using Pipeline.Contracts.Policy;

namespace Pipeline.Policy.Verdicts;

/// <summary>Decides one policy check. The rule engine, SPF, DKIM and DMARC plug in here.</summary>
public interface IVerdictSource
{
    /// <summary>The verdict for <paramref name="check"/>.</summary>
    Task<PolicyVerdict> DecideAsync(CheckPolicy check, CancellationToken cancellationToken);
}
