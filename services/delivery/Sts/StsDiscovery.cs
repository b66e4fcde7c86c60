using Pipeline.Delivery.Protocol;

namespace Pipeline.Delivery.Sts;

/// <summary>
/// What MTA-STS discovery (RFC 8461 §3, §5.1) found for one recipient domain: the policy in
/// force (fetched now or cached), or why none could be had where the domain announces one.
/// </summary>
/// <param name="Domain">The recipient domain, lower case.</param>
/// <param name="Id">The id the policy was fetched under, with <paramref name="Policy"/>.</param>
/// <param name="Policy">The policy, or null when discovery failed.</param>
/// <param name="ResultType">
/// When discovery failed: <c>sts-policy-fetch-error</c>, <c>sts-policy-invalid</c> or
/// <c>sts-webpki-invalid</c> (RFC 8460 §4.3.2.2); delivery then goes on as without a policy.
/// </param>
/// <param name="Failure">When discovery failed, why, in words.</param>
public sealed record StsDiscovery(string Domain, string? Id, StsPolicy? Policy, string? ResultType = null, string? Failure = null)
{
    /// <summary>True when a policy in mode <c>enforce</c> or <c>testing</c> applies; mode <c>none</c> is as no policy (§5).</summary>
    public bool InForce => Policy is { Mode: not StsMode.None };

    /// <summary>The policy for MX host <paramref name="hostName"/>, or null when none is in force.</summary>
    public StsHost? For(string hostName) => InForce ? new StsHost(Domain, Id!, Policy!, hostName) : null;
}
