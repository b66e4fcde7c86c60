namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>msg:fail:internal</c>: a recipient failed for a reason of the pipeline's own, before
/// any host was tried: no route, an unroutable domain, a message that cannot be read.
/// Stream: the message. Main log: <c>**</c>.
/// </summary>
/// <param name="MessageId">The message.</param>
/// <param name="Recipient">The recipient that failed.</param>
/// <param name="EventData">Why.</param>
/// <param name="RouterName">The router that failed it, when one did.</param>
[LifecycleEvent("msg:fail:internal")]
public sealed record RecipientFailedInternally(
    string MessageId,
    Recipient Recipient,
    string EventData,
    string? RouterName);
