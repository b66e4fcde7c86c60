namespace Pipeline.Contracts.Events;

/// <summary>
/// An operator cancelled the message (<c>POST /messages/{id}/cancel</c>, Exim's <c>-Mg</c>):
/// its pending recipients fail with <see cref="EventData"/> (<c>msg:fail:internal</c>), the
/// sender gets a bounce, and the message completes.
/// </summary>
/// <param name="MessageId">The message.</param>
/// <param name="Pending">The recipients that were still to be delivered.</param>
/// <param name="EventData">The reason recorded for them: <c>cancelled by administrator</c>.</param>
/// <param name="By">Who asked, as the API knows them (the token's role), for the record.</param>
[LifecycleEvent("msg:cancel")]
public sealed record MessageCancelled(string MessageId, IReadOnlyList<Recipient> Pending, string EventData, string By);
