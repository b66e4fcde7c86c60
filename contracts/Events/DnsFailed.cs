namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>dns:fail</c>: a DNS lookup delivery needed did not complete (a server failure or a
/// timeout, not a name that does not exist); what depended on it is deferred. Stream: the message.
/// </summary>
/// <param name="MessageId">The message.</param>
/// <param name="EventData">The lookup and why it failed, e.g. <c>mx.example.net A/AAAA: Server Failure</c> (<c>$event_data</c>).</param>
/// <param name="Attempt">The delivery attempt, counting from 1.</param>
/// <param name="ErrorType">
/// <c>lookup</c> when the failed lookup deferred recipients itself (a domain's MX), the error's type as Exim's retry
/// rules name it, which chose their retry rule (<c>Delivery:Retry</c>); null for a host's address lookup, which only
/// has the host skipped, and in events recorded before it was kept.
/// </param>
[LifecycleEvent("dns:fail")]
public sealed record DnsFailed(string MessageId, string EventData, int Attempt, string? ErrorType = null);
