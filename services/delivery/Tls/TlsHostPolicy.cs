using System.Net;
using Pipeline.Infrastructure.Lists;

namespace Pipeline.Delivery.Tls;

/// <summary>
/// What TLS means for one server, from the host lists of <see cref="DeliveryOptions"/>
/// (Exim's smtp transport options of the same names).
/// </summary>
/// <param name="Avoid"><c>HostsAvoidTls</c>: never STARTTLS.</param>
/// <param name="Require"><c>HostsRequireTls</c> (or OCSP required): no cleartext delivery; a failed or refused STARTTLS defers.</param>
/// <param name="RequireOcsp"><c>HostsRequireOcsp</c>: a stapled, good, unexpired OCSP response signed for the certificate.</param>
/// <param name="RequestOcsp"><c>HostsRequestOcsp</c>: ask for a staple and record it.</param>
/// <param name="Verify"><c>TlsVerifyHosts</c>: the certificate must verify, else the TLS session fails.</param>
/// <param name="TryVerify"><c>TlsTryVerifyHosts</c>: the certificate is verified and the result logged (<c>CV=</c>), never refused.</param>
/// <param name="CheckName"><c>TlsVerifyCertHostnames</c>: verification includes the host name.</param>
public sealed record TlsHostPolicy(bool Avoid, bool Require, bool RequireOcsp, bool RequestOcsp, bool Verify, bool TryVerify, bool CheckName)
{
    /// <summary>True when DANE may be used with <paramref name="server"/> (<c>HostsTryDane</c> or <c>HostsRequireDane</c>).</summary>
    public static bool TryDane(DeliveryOptions options, IPAddress server) =>
        Contains(options.TryDane, server) || Contains(options.RequireDane, server);

    /// <summary>True when <paramref name="server"/> gets mail only under DANE (<c>HostsRequireDane</c>).</summary>
    public static bool RequireDane(DeliveryOptions options, IPAddress server) => Contains(options.RequireDane, server);

    /// <summary>The policy for <paramref name="server"/>.</summary>
    public static TlsHostPolicy For(DeliveryOptions options, IPAddress server)
    {
        var requireOcsp = Contains(options.RequireOcsp, server);
        return new TlsHostPolicy(
            Avoid: Contains(options.AvoidTls, server) && !requireOcsp,
            Require: Contains(options.RequireTls, server) || requireOcsp,
            RequireOcsp: requireOcsp,
            RequestOcsp: requireOcsp || Contains(options.RequestOcsp, server),
            Verify: Contains(options.VerifyHosts, server),
            TryVerify: Contains(options.TryVerifyHosts, server),
            CheckName: Contains(options.VerifyCertHostnames, server));
    }

    private static bool Contains(HostList list, IPAddress address) => !list.IsEmpty && list.Contains(address);
}
