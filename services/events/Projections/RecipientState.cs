namespace Pipeline.Events.Projections;

/// <summary>Where a recipient stands.</summary>
public enum RecipientState
{
    /// <summary>Not tried yet.</summary>
    Queued,

    /// <summary>Tried, not delivered yet; it will be tried again.</summary>
    Deferred,

    /// <summary>Delivered (<c>msg:delivery</c>).</summary>
    Delivered,

    /// <summary>Failed for good (<c>msg:fail:delivery</c> or <c>msg:fail:internal</c>).</summary>
    Failed,

    /// <summary>Refused (or deferred) by policy at end of data with PRDR; the message was accepted for others.</summary>
    Refused,
}
