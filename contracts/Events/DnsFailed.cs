namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>dns:fail</c>: a DNS lookup delivery needed did not complete (a server failure or a
/// timeout, not a name that does not exist); what depended on it is deferred. Stream: the message.
/// </summary>
/// <param name="MessageId">The message.</param>
/// <param name="EventData">The lookup and why it failed, e.g. <c>mx.example.net A/AAAA: ServerFailure</c> (<c>$event_data</c>).</param>
/// <param name="Attempt">The delivery attempt, counting from 1.</param>
[LifecycleEvent("dns:fail")]
public sealed record DnsFailed(string MessageId, string EventData, int Attempt);
