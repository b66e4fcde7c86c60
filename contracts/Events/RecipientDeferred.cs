namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>msg:rcpt:defer</c>: a server refused one recipient for now (a 4xx reply to its RCPT, or
/// its own 4xx reply after the data under PRDR); it stays queued. Stream: the message. Main
/// log: <c>==</c>.
/// </summary>
/// <param name="MessageId">The message.</param>
/// <param name="Recipient">The recipient deferred.</param>
/// <param name="EventData">The server's reply (<c>$event_data</c>).</param>
/// <param name="DeferErrno">Exim's <c>$event_defer_errno</c>: 0, as an SMTP reply decided.</param>
/// <param name="Host">The server's name.</param>
/// <param name="HostAddress">The server's address.</param>
/// <param name="HostPort">The server's port.</param>
/// <param name="RouterName">The router.</param>
/// <param name="TransportName">The transport.</param>
/// <param name="Attempt">The delivery attempt, counting from 1.</param>
/// <param name="Proxy">The SOCKS5 proxy the connection went through, <c>[address]:port</c>, or null.</param>
/// <param name="ErrorType">
/// The error's type as Exim's retry rules name it (<c>rcpt_451</c>, <c>data_452</c>), which chose the retry rule
/// (<c>Delivery:Retry</c>); null in events recorded before it was kept.
/// </param>
[LifecycleEvent("msg:rcpt:defer")]
public sealed record RecipientDeferred(
    string MessageId,
    Recipient Recipient,
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
