using System.Net;
using Pipeline.Delivery.Sts;
using Pipeline.Delivery.Tls;

namespace Pipeline.Delivery.Smtp;

/// <summary>
/// Everything that decided how a connection was made and secured, and so which deliveries may
/// share it: the server's address and port, the local interface, the host name it was reached
/// by (sent as SNI, checked against the certificate, and the name of its TLSA lookup), the TLS
/// options in force for that name and address, and what DANE demands (the validated TLSA
/// records, or their absence). A connection secured for <c>mx.example</c> is never used for
/// <c>mx-other.example</c> on the same address, whose TLSA records or requirements may differ
/// (RFC 7672 §2.2); Exim's continued connections carry the host name for the same reason.
/// <see cref="DeliveryOptions.RemoteMaxParallel"/> still counts per <see cref="Server"/>.
/// </summary>
/// <param name="Server">The server's address and port.</param>
/// <param name="Interface">The local address bound, or null for the system's choice.</param>
/// <param name="HostName">The server's host name, lower case, or its address literal.</param>
/// <param name="Tls">The TLS options in force for the server.</param>
/// <param name="Dane">What DANE demands of the server.</param>
/// <param name="Sts">
/// The MTA-STS policy the connection is made under (RFC 8461), or null: set only where DANE
/// does not require TLS, as DANE then decides (§2). Its demands are in <paramref name="Tls"/> already.
/// </param>
/// <param name="Auth">The route's credentials for SMTP AUTH, or null: a connection authenticated as one user carries no mail of another route.</param>
public sealed record ConnectionKey(IPEndPoint Server, IPAddress? Interface, string HostName, TlsHostPolicy Tls, DaneRequirement Dane,
    StsHost? Sts = null, SmtpCredentials? Auth = null)
{
    /// <summary>The key of a connection to <paramref name="server"/> reached as <paramref name="hostName"/>.</summary>
    public static ConnectionKey For(IPEndPoint server, IPAddress? local, string hostName, TlsHostPolicy tls, DaneRequirement dane,
        StsHost? sts = null, SmtpCredentials? auth = null) =>
        new(server, local, hostName.TrimEnd('.').ToLowerInvariant(), tls, dane, sts, auth);

    /// <summary>The TLS options as DANE leaves them: TLS required when DANE requires it.</summary>
    public TlsHostPolicy EffectiveTls => Tls.Under(Dane);
}
