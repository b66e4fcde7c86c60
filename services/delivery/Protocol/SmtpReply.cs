namespace Pipeline.Delivery.Protocol;

/// <summary>A server's reply (RFC 5321 §4.2): the code and its lines.</summary>
/// <param name="Code">The three-digit code.</param>
/// <param name="Lines">The text of each line, without code and separator.</param>
public sealed record SmtpReply(int Code, IReadOnlyList<string> Lines)
{
    /// <summary>2xx.</summary>
    public bool IsPositive => Code is >= 200 and < 400;

    /// <summary>4xx: try again later.</summary>
    public bool IsTransient => Code is >= 400 and < 500;

    /// <summary>5xx: never again.</summary>
    public bool IsPermanent => Code >= 500;

    /// <summary>The reply as one line, e.g. <c>250 2.0.0 Ok: queued</c>.</summary>
    public override string ToString() => $"{Code} {string.Join(' ', Lines)}".TrimEnd();
}
