namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>msg:delivery</c>: one recipient was delivered. Stream: the message. Main log: <c>=&gt;</c>.
/// </summary>
/// <param name="MessageId">The message.</param>
/// <param name="Recipient">The recipient delivered (<c>$local_part</c>, <c>$domain</c>).</param>
/// <param name="EventData">The server's confirmation, e.g. <c>250 2.0.0 Ok: queued as 4F2X</c>.</param>
/// <param name="Host">The server's name (<c>$host</c>).</param>
/// <param name="HostAddress">The server's address (<c>$host_address</c>).</param>
/// <param name="HostPort">The server's port (<c>$host_port</c>).</param>
/// <param name="SendingIpAddress">The local address delivery sent from (<c>$sending_ip_address</c>).</param>
/// <param name="SendingPort">The local port (<c>$sending_port</c>).</param>
/// <param name="RouterName">The router that chose the host: <c>route</c> (a <c>Delivery:Routes</c> entry) or <c>dnslookup</c> (MX).</param>
/// <param name="TransportName">The transport: <c>remote_smtp</c>.</param>
/// <param name="ConnectionId">The outbound connection that carried it.</param>
/// <param name="Attempt">The delivery attempt, counting from 1.</param>
/// <param name="Proxy">The SOCKS5 proxy the connection went through, <c>[address]:port</c>, or null (the main log's <c>PRX=</c>).</param>
/// <param name="Tls">The TLS session, <c>TLS1.3:TLS_AES_256_GCM_SHA384</c>, or null in the clear (the main log's <c>X=</c>).</param>
/// <param name="CertificateVerified">Whether the server's certificate verified under TLS: <c>dane</c>, <c>yes</c> or <c>no</c> (<c>CV=</c>).</param>
/// <param name="Dane">True when DANE authenticated the server (<c>$tls_out_dane</c>).</param>
/// <param name="DnssecAuthenticated">True when the server's route and address lookups were DNSSEC-validated (<c>$lookup_dnssec_authenticated</c>).</param>
/// <param name="TlsaUsage">The TLSA usages seen, one bit each, <c>1 &lt;&lt; usage</c> (<c>$tls_out_tlsa_usage</c>).</param>
/// <param name="TlsPolicyType">Over TLS, the TLS policy the session was under, as TLS reports name it (RFC 8460 §4.4): <c>tlsa</c>, <c>sts</c> or <c>no-policy-found</c>; null in the clear.</param>
/// <param name="TlsPolicyDomain">Over TLS, the policy's domain (RFC 8460 §3): the MX host for <c>tlsa</c>, else the recipient's domain.</param>
/// <param name="TlsPolicyStrings">Over TLS, the policy as TLS reports show it (<c>policy-string</c>): the TLSA records in zone-file form, or the MTA-STS policy's lines; null for <c>no-policy-found</c>.</param>
[LifecycleEvent("msg:delivery")]
public sealed record RecipientDelivered(
    string MessageId,
    Recipient Recipient,
    string EventData,
    string Host,
    string HostAddress,
    int HostPort,
    string SendingIpAddress,
    int SendingPort,
    string RouterName,
    string TransportName,
    string ConnectionId,
    int Attempt,
    string? Proxy = null,
    string? Tls = null,
    string? CertificateVerified = null,
    bool Dane = false,
    int TlsaUsage = 0,
    bool DnssecAuthenticated = false,
    string? TlsPolicyType = null,
    string? TlsPolicyDomain = null,
    IReadOnlyList<string>? TlsPolicyStrings = null);
