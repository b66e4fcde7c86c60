using Pipeline.Contracts.Events;

namespace Pipeline.Delivery.Bounces;

/// <summary>
/// What a recipient's DSN NOTIFY parameter (RFC 3461 §4.1) asks for. Without one, failures
/// and delays are reported and successes are not (§4.1's "FAILURE" or "FAILURE,DELAY" default;
/// Exim's too); <c>NEVER</c> asks for nothing at all.
/// </summary>
public static class DsnNotify
{
    /// <summary>True when a failure of <paramref name="recipient"/> is to be reported.</summary>
    public static bool Failure(Recipient recipient) => recipient.Notify is null || Names(recipient, "FAILURE");

    /// <summary>True when a delay of <paramref name="recipient"/> is to be reported (<c>Delivery:DelayWarning</c>).</summary>
    public static bool Delay(Recipient recipient) => recipient.Notify is null || Names(recipient, "DELAY");

    /// <summary>True when a success of <paramref name="recipient"/> is to be reported: only when NOTIFY names SUCCESS.</summary>
    public static bool Success(Recipient recipient) => recipient.Notify is not null && Names(recipient, "SUCCESS");

    private static bool Names(Recipient recipient, string keyword) =>
        recipient.Notify!.Split(',').Any(n => n.Trim().Equals(keyword, StringComparison.OrdinalIgnoreCase));
}
