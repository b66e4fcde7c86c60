using Pipeline.Delivery.Smtp;
using Pipeline.Delivery.Tls;

namespace Pipeline.Delivery.Sts;

/// <summary>
/// Whether a session met the MTA-STS policy it was made under (RFC 8461 §4): the host is one
/// the policy names, and TLS was negotiated with a certificate that verifies and names the
/// host. Under <c>enforce</c> a session that does not is never used (the host was not
/// connected to, or its TLS failed); under <c>testing</c> it carries the mail, and this says
/// what to record. Pure.
/// </summary>
public static class StsSessionCheck
{
    /// <summary>The failure, as TLS reports name it (RFC 8460 §4.3) and in words; null when the session met the policy or none applies.</summary>
    /// <param name="key">The connection's key, with its policy.</param>
    /// <param name="tls">The session's TLS, or null in the clear.</param>
    public static (string ResultType, string Reason)? Failure(ConnectionKey key, TlsSessionInfo? tls)
    {
        if (key.Sts is not { } sts)
            return null;
        if (!sts.MxMatches)
            return (TlsRptNames.ValidationFailure, NotNamed(key.HostName, sts));
        if (tls is null)
            return (TlsRptNames.StarttlsNotSupported, $"MTA-STS: {key.HostName} did not negotiate TLS, which the policy of {sts.Domain} requires");
        if (!tls.Verified)
            return (tls.VerifyResultType ?? TlsRptNames.ValidationFailure,
                $"MTA-STS: the certificate of {key.HostName} does not verify or does not name it ({tls.VerifyResultType ?? TlsRptNames.ValidationFailure}), as the policy of {sts.Domain} requires");
        return null;
    }

    /// <summary>Why <paramref name="hostName"/> is not to be used under <paramref name="sts"/>.</summary>
    public static string NotNamed(string hostName, StsHost sts) =>
        $"MTA-STS: {hostName} is not an MX host the policy of {sts.Domain} names (mx: {string.Join(", ", sts.Policy.Mx)})";
}
