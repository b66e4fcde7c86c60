namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>msg:received</c>: ingress accepted a message and committed it: this event and the
/// raw bytes are stored in one transaction before the client sees <c>250</c>. It opens the
/// message's stream. The main log writes it as the <c>&lt;=</c> line.
/// </summary>
/// <param name="MessageId">The message id given in <c>250 OK id=</c>.</param>
/// <param name="ConnectionId">The inbound connection it came on.</param>
/// <param name="Sender">The envelope sender (<c>$sender_address</c>); empty for the null sender.</param>
/// <param name="Recipients">The accepted envelope recipients, in RCPT order.</param>
/// <param name="Size">The stored size in bytes, trace headers included.</param>
/// <param name="HostAddress">The client's address (<c>$sender_host_address</c>).</param>
/// <param name="HostPort">The client's port.</param>
/// <param name="Helo">The name the client gave in EHLO or HELO (<c>$sender_helo_name</c>).</param>
/// <param name="Protocol">The received protocol (<c>$received_protocol</c>): <c>smtp</c>, <c>esmtp</c> ...</param>
/// <param name="InterfaceAddress">The local address that accepted it (<c>$received_ip_address</c>).</param>
/// <param name="InterfacePort">The local port (<c>$received_port</c>).</param>
/// <param name="ReceivedAt">When ingress committed it.</param>
/// <param name="BodyType">The BODY parameter of MAIL (RFC 6152): <c>7BIT</c> or <c>8BITMIME</c>.</param>
/// <param name="SmtpUtf8">True when MAIL carried SMTPUTF8 (RFC 6531): the envelope or headers may hold UTF-8.</param>
/// <param name="DsnReturn">The DSN RET parameter (RFC 3461 §4.3): <c>FULL</c> or <c>HDRS</c>; null when not given.</param>
/// <param name="DsnEnvelopeId">The DSN ENVID parameter (RFC 3461 §4.4), decoded; null when not given.</param>
/// <param name="Proxy">When the client came through a PROXY-protocol proxy: the proxy's side.</param>
/// <param name="TlsVersion">When the message came over TLS: its version (<c>$tls_in_ver</c>), e.g. <c>TLSv1.3</c>.</param>
/// <param name="TlsCipher">The cipher suite (<c>$tls_in_cipher_std</c>).</param>
/// <param name="TlsSni">The name the client asked for (<c>$tls_in_sni</c>), when it sent one.</param>
/// <param name="AuthenticatedId">The name the client authenticated as (<c>$authenticated_id</c>), when it did.</param>
/// <param name="PrdrRefused">With PRDR: the recipients policy refused or deferred at end of data, each with its reply; the message is stored for the others.</param>
/// <param name="TraceParent">The W3C <c>traceparent</c> of the span that received it, when traces are exported (<c>Telemetry:OtlpEndpoint</c>): delivery's attempts join that trace.</param>
/// <param name="Dmarc">The DMARC evaluation of the message, when a DMARC record applied to its From domain: what aggregate and failure reports are made of.</param>
/// <param name="RequireTls">True when MAIL carried REQUIRETLS (RFC 8689): the message goes on only over verified TLS to servers that offer REQUIRETLS, else it bounces.</param>
[LifecycleEvent("msg:received")]
public sealed record MessageReceived(
    string MessageId,
    string ConnectionId,
    string Sender,
    IReadOnlyList<Recipient> Recipients,
    long Size,
    string HostAddress,
    int HostPort,
    string? Helo,
    string Protocol,
    string InterfaceAddress,
    int InterfacePort,
    DateTimeOffset ReceivedAt,
    string BodyType = "7BIT",
    bool SmtpUtf8 = false,
    string? DsnReturn = null,
    string? DsnEnvelopeId = null,
    ProxySession? Proxy = null,
    string? TlsVersion = null,
    string? TlsCipher = null,
    string? TlsSni = null,
    string? AuthenticatedId = null,
    IReadOnlyList<RefusedRecipient>? PrdrRefused = null,
    string? TraceParent = null,
    DmarcEvaluation? Dmarc = null,
    bool RequireTls = false);
