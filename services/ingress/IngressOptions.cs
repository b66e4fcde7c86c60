namespace Pipeline.Ingress;

/// <summary>
/// The <c>Ingress</c> section. Names mirror Exim's main options in PascalCase.
/// </summary>
public sealed class IngressOptions
{
    /// <summary>The configuration section's name.</summary>
    public const string Section = "Ingress";

    /// <summary>Where SMTP listens: <c>address:port</c>, several separated by commas. Defaults to <c>127.0.0.1:2525</c>.</summary>
    public string Listen { get; set; } = "127.0.0.1:2525";

    /// <summary>The name ingress gives itself in the banner, EHLO and trace headers (Exim's <c>primary_hostname</c>). Defaults to the machine's host name.</summary>
    public string PrimaryHostname { get; set; } = System.Net.Dns.GetHostName();

    /// <summary>The text after <c>220</c> (Exim's <c>smtp_banner</c>). Defaults to <c>{PrimaryHostname} ESMTP Pipeline</c>.</summary>
    public string? SmtpBanner { get; set; }

    /// <summary>The largest message accepted, in bytes, advertised as SIZE (Exim's <c>message_size_limit</c>). Defaults to 50 MiB, Exim's default.</summary>
    public long MessageSizeLimit { get; set; } = 50 * 1024 * 1024;

    /// <summary>The most recipients one message may have (Exim's <c>recipients_max</c>); more are answered 452. Defaults to 1000, Postfix's <c>smtpd_recipient_limit</c>.</summary>
    public int RecipientsMax { get; set; } = 1000;

    /// <summary>The longest command line accepted, CRLF included. Defaults to 2048, Postfix's <c>line_length_limit</c>; RFC 5321 §4.5.3.1.4 asks for at least 512.</summary>
    public int CommandLineMax { get; set; } = 2048;

    /// <summary>How long to wait for each command or data chunk from the client (Exim's <c>smtp_receive_timeout</c>). Defaults to 5 minutes, Exim's default.</summary>
    public TimeSpan SmtpReceiveTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How many unrecognized commands are answered before the connection is dropped (Exim's <c>smtp_max_unknown_commands</c>). Defaults to 3, Exim's default.</summary>
    public int SmtpMaxUnknownCommands { get; set; } = 3;

    /// <summary>How long to wait for a policy verdict; none in time is answered 451. Defaults to 30 seconds.</summary>
    public TimeSpan PolicyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The banner text after <c>220 </c>.</summary>
    public string Banner => SmtpBanner ?? $"{PrimaryHostname} ESMTP Pipeline";

    /// <summary>Checks every value.</summary>
    /// <exception cref="InvalidOperationException">A value is out of range.</exception>
    public void Validate()
    {
        Require(MessageSizeLimit > 0, "Ingress:MessageSizeLimit must be positive");
        Require(RecipientsMax > 0, "Ingress:RecipientsMax must be positive");
        Require(CommandLineMax >= 512, "Ingress:CommandLineMax must be at least 512 (RFC 5321 §4.5.3.1.4)");
        Require(SmtpReceiveTimeout > TimeSpan.Zero, "Ingress:SmtpReceiveTimeout must be positive");
        Require(PolicyTimeout > TimeSpan.Zero, "Ingress:PolicyTimeout must be positive");
        Require(SmtpMaxUnknownCommands >= 0, "Ingress:SmtpMaxUnknownCommands must not be negative");
        Require(!string.IsNullOrWhiteSpace(PrimaryHostname), "Ingress:PrimaryHostname must not be empty");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition) throw new InvalidOperationException(message);
    }
}
