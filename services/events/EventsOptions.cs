namespace Pipeline.Events;

/// <summary>The <c>Events</c> section.</summary>
public sealed class EventsOptions
{
    /// <summary>The configuration section's name.</summary>
    public const string Section = "Events";

    /// <summary>Where the HTTP API listens. Defaults to <c>http://127.0.0.1:8025</c>.</summary>
    public string Listen { get; set; } = "http://127.0.0.1:8025";
}
