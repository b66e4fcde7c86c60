namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>msg:host:defer</c>: a host could not take the message now (connection failure, timeout
/// or a 4xx reply); the recipients routed to it stay queued. Stream: the message. Main log: <c>==</c>.
/// </summary>
/// <param name="MessageId">The message.</param>
/// <param name="Recipients">The recipients that were to go to this host.</param>
/// <param name="EventData">The error text (<c>$event_data</c>), e.g. the server's reply or <c>Connection refused</c>.</param>
/// <param name="DeferErrno">Exim's <c>$event_defer_errno</c>: the socket error number, or 0 for an SMTP reply.</param>
/// <param name="Host">The host's name.</param>
/// <param name="HostAddress">The host's address.</param>
/// <param name="HostPort">The host's port.</param>
/// <param name="RouterName">The router that chose the host.</param>
/// <param name="TransportName">The transport.</param>
/// <param name="Attempt">The delivery attempt, counting from 1.</param>
/// <param name="Proxy">The SOCKS5 proxy the connection went through, <c>[address]:port</c>, or null (the main log's <c>PRX=</c>).</param>
/// <param name="ErrorType">
/// The error's type as Exim's retry rules name it (<c>refused_MX</c>, <c>timeout_connect_A</c>, <c>timeout_A</c>,
/// <c>mail_451</c>, <c>lost_connection</c>, <c>auth_failed</c>, <c>tls_required</c>; <c>*</c> for none of them), which
/// chose the retry rule (<c>Delivery:Retry</c>); null in events recorded before it was kept.
/// </param>
[LifecycleEvent("msg:host:defer")]
public sealed record HostDeferred(
    string MessageId,
    IReadOnlyList<Recipient> Recipients,
    string EventData,
    int DeferErrno,
    string Host,
    string HostAddress,
    int HostPort,
    string RouterName,
    string TransportName,
    int Attempt,
    string? Proxy = null,
    string? ErrorType = null);
