namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>msg:delay-warning</c>: the sender was warned that the message is delayed (Exim's
/// <c>delay_warning</c>): a delivery status notification (RFC 3464, <c>Action: delayed</c>) was
/// queued for the recipients still pending. Appended with the attempt's outcome, under the
/// stream's expected version, so that a warning goes out once whatever the number of delivery
/// processes; <see cref="Warnings"/> decides when the next one is due. Stream: the message.
/// </summary>
/// <param name="MessageId">The message.</param>
/// <param name="Delayed">The recipients the warning names: those still pending whose NOTIFY asks for it (or has none).</param>
/// <param name="Warnings">
/// How many warnings the message has had by now, as Exim's warning count: the number of
/// <c>Delivery:DelayWarning</c> times it has been in the queue for (intervals missed between
/// attempts are not sent afterwards).
/// </param>
/// <param name="Delay">The time passed, as the warning words it (Exim's <c>$warn_message_delay</c>), e.g. <c>24 hours</c>.</param>
/// <param name="WarningId">The id of the warning message queued for the sender.</param>
/// <param name="Attempt">The delivery attempt that sent it, counting from 1.</param>
[LifecycleEvent("msg:delay-warning")]
public sealed record DelayWarningSent(
    string MessageId,
    IReadOnlyList<Recipient> Delayed,
    int Warnings,
    string Delay,
    string WarningId,
    int Attempt);
