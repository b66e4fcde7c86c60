namespace Pipeline.Delivery.Smtp;

/// <summary>
/// A route's credentials for SMTP AUTH as a client (RFC 4954), from <c>Delivery:Routes:N:AuthUser</c>
/// and <c>AuthPassword</c>. Part of the <see cref="ConnectionKey"/>, so a connection
/// authenticated as one user never carries mail for another. Its text form is the user alone:
/// the password must never reach a log, an event or an error.
/// </summary>
/// <param name="User">The authentication identity.</param>
/// <param name="Password">The password.</param>
public sealed record SmtpCredentials(string User, string Password)
{
    /// <summary>The user alone, never the password.</summary>
    public override string ToString() => User;
}
