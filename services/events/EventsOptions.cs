namespace Pipeline.Events;

/// <summary>The <c>Events</c> section.</summary>
public sealed class EventsOptions
{
    /// <summary>The configuration section's name.</summary>
    public const string Section = "Events";

    /// <summary>Where the HTTP API listens. Defaults to <c>http://127.0.0.1:8025</c>.</summary>
    public string Listen { get; set; } = "http://127.0.0.1:8025";

    /// <summary>
    /// The bearer tokens the HTTP API accepts, each with a role: <c>read</c> (GET only) or
    /// <c>admin</c>. Empty: the API is open, and must then listen on loopback.
    /// </summary>
    public List<ApiToken> ApiTokens { get; set; } = [];

    /// <summary>
    /// Whether every event is published on the bus for other services (docs/subscribing.md).
    /// By default only on RabbitMQ: on the in-memory bus of a single process nobody else could
    /// subscribe.
    /// </summary>
    public bool? PublishToBus { get; set; }

    /// <summary>The webhook subscriptions: <c>[{ "Url": ..., "Names": [...], "Secret": ... }]</c>.</summary>
    public List<Webhooks.WebhookOptions> Webhooks { get; set; } = [];

    /// <summary>The DMARC reports this pipeline sends as a receiver (<c>Events:DmarcReports</c>, docs/dmarc-reports.md).</summary>
    public Dmarc.DmarcReportOptions DmarcReports { get; set; } = new();
}

/// <summary>One entry of <c>Events:ApiTokens</c>.</summary>
public sealed class ApiToken
{
    /// <summary>The secret the client sends as <c>Authorization: Bearer ...</c>; at least 16 characters.</summary>
    public string Token { get; set; } = "";

    /// <summary><c>read</c> or <c>admin</c>.</summary>
    public string Role { get; set; } = "read";
}
