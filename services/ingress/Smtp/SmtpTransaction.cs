namespace Pipeline.Ingress.Smtp;

/// <summary>The envelope of the mail transaction in progress (RFC 5321 §3.3).</summary>
public sealed class SmtpTransaction(string sender)
{
    /// <summary>The reverse-path; empty for the null sender.</summary>
    public string Sender { get; } = sender;

    /// <summary>The accepted recipients, in RCPT order.</summary>
    public List<string> Recipients { get; } = [];
}
