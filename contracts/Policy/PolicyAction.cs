namespace Pipeline.Contracts.Policy;

/// <summary>What policy decides.</summary>
public enum PolicyAction
{
    /// <summary>Go on (2xx).</summary>
    Accept,

    /// <summary>Refuse for good (5xx).</summary>
    Deny,

    /// <summary>Refuse for now (4xx); the client tries again later.</summary>
    Defer,

    /// <summary>Answer as if accepted, but throw away the recipient (at RCPT) or the message (at the end of data).</summary>
    Discard,
}
