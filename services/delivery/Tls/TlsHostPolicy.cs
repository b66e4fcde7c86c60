using System.Net;
using Pipeline.Infrastructure.Lists;

namespace Pipeline.Delivery.Tls;

/// <summary>
/// What TLS means for one server, from the host lists of <see cref="DeliveryOptions"/>
/// (Exim's smtp transport options of the same names), matched against its address and the
/// name it was reached by (the route's or MX record's host name). Part of what a connection is
/// secured by, so two servers may share a connection only with equal policies.
/// </summary>
/// <param name="Avoid"><c>HostsAvoidTls</c>: never STARTTLS.</param>
/// <param name="Require"><c>HostsRequireTls</c> (or OCSP required): no cleartext delivery; a failed or refused STARTTLS defers.</param>
/// <param name="RequireOcsp"><c>HostsRequireOcsp</c>: a stapled, good, unexpired OCSP response signed for the certificate.</param>
/// <param name="RequestOcsp"><c>HostsRequestOcsp</c>: ask for a staple and record it.</param>
/// <param name="Verify"><c>TlsVerifyHosts</c>: the certificate must verify, else the TLS session fails.</param>
/// <param name="TryVerify"><c>TlsTryVerifyHosts</c>: the certificate is verified and the result logged (<c>CV=</c>), never refused.</param>
/// <param name="CheckName"><c>TlsVerifyCertHostnames</c>: verification includes the host name.</param>
/// <param name="TryDane"><c>HostsTryDane</c>: DANE is used when the server's lookups were validated and it publishes TLSA records.</param>
/// <param name="RequireDane"><c>HostsRequireDane</c>: the server gets mail only under DANE.</param>
public sealed record TlsHostPolicy(bool Avoid, bool Require, bool RequireOcsp, bool RequestOcsp, bool Verify, bool TryVerify, bool CheckName,
    bool TryDane, bool RequireDane)
{
    /// <summary>The policy for the server at <paramref name="address"/>, reached by <paramref name="hostName"/>.</summary>
    public static TlsHostPolicy For(DeliveryOptions options, string hostName, IPAddress address)
    {
        bool In(HostList list) => !list.IsEmpty && list.Contains(address, hostName);
        var requireOcsp = In(options.RequireOcsp);
        var requireDane = In(options.RequireDane);
        return new TlsHostPolicy(
            Avoid: In(options.AvoidTls) && !requireOcsp,
            Require: In(options.RequireTls) || requireOcsp,
            RequireOcsp: requireOcsp,
            RequestOcsp: requireOcsp || In(options.RequestOcsp),
            Verify: In(options.VerifyHosts),
            TryVerify: In(options.TryVerifyHosts),
            CheckName: In(options.VerifyCertHostnames),
            TryDane: requireDane || In(options.TryDane),
            RequireDane: requireDane);
    }

    /// <summary>This policy under <paramref name="dane"/>: TLS required, and never avoided, when DANE asks for it.</summary>
    public TlsHostPolicy Under(DaneRequirement dane) => dane.RequiresTls ? this with { Avoid = false, Require = true } : this;

    /// <summary>
    /// This policy under an MTA-STS policy (RFC 8461 §4.2): TLS never avoided, the certificate
    /// verified and checked for the host's name; in mode <c>enforce</c> TLS required and the
    /// certificate's verification too, in mode <c>testing</c> only checked, so that a failure
    /// can be recorded while the mail goes on.
    /// </summary>
    public TlsHostPolicy Under(Sts.StsHost sts) => sts.Enforce
        ? this with { Avoid = false, Require = true, Verify = true, CheckName = true }
        : this with { Avoid = false, TryVerify = true, CheckName = true };
}
