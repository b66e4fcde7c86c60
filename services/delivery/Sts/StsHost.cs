using Pipeline.Delivery.Protocol;

namespace Pipeline.Delivery.Sts;

/// <summary>
/// The MTA-STS policy in force for one MX host of a recipient domain (RFC 8461 §4): the policy,
/// and whether the host is one it names. Part of a connection's key: a connection is shared
/// only by deliveries under the same policy, so that each session is counted under the policy
/// it was made for. Two are equal when they are for the same domain, id, policy text and match.
/// </summary>
public sealed class StsHost : IEquatable<StsHost>
{
    private readonly string _text;

    /// <summary>The policy <paramref name="policy"/> of <paramref name="domain"/>, fetched under <paramref name="id"/>, for <paramref name="hostName"/>.</summary>
    public StsHost(string domain, string id, StsPolicy policy, string hostName)
    {
        Domain = domain;
        Id = id;
        Policy = policy;
        MxMatches = policy.AllowsMx(hostName);
        _text = $"{domain}|{id}|{string.Join('\n', policy.Lines)}|{MxMatches}";
    }

    /// <summary>The recipient domain whose policy it is (the policy domain, RFC 8460 §3).</summary>
    public string Domain { get; }

    /// <summary>The id of the <c>_mta-sts</c> TXT record the policy was fetched under.</summary>
    public string Id { get; }

    /// <summary>The policy.</summary>
    public StsPolicy Policy { get; }

    /// <summary>True when the host matches one of the policy's MX patterns (§4.1).</summary>
    public bool MxMatches { get; }

    /// <summary>True in mode <c>enforce</c>: what the policy asks is required.</summary>
    public bool Enforce => Policy.Mode == StsMode.Enforce;

    /// <inheritdoc />
    public bool Equals(StsHost? other) => other is not null && _text == other._text;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as StsHost);

    /// <inheritdoc />
    public override int GetHashCode() => _text.GetHashCode(StringComparison.Ordinal);

    /// <summary>The domain, mode and id, for logs.</summary>
    public override string ToString() => $"{Domain} {Policy.ModeText} id={Id}";
}
