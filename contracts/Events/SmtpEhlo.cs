namespace Pipeline.Contracts.Events;

/// <summary>
/// <c>smtp:ehlo</c>: an outbound connection's server answered EHLO (after STARTTLS, its second
/// answer). Stream: the connection.
/// </summary>
/// <param name="ConnectionId">The connection's stream key.</param>
/// <param name="EventData">The server's EHLO reply, its lines joined by newlines (<c>$event_data</c>).</param>
/// <param name="HostAddress">The server's address.</param>
/// <param name="Host">The server's name.</param>
[LifecycleEvent("smtp:ehlo")]
public sealed record SmtpEhlo(string ConnectionId, string EventData, string HostAddress, string? Host);
