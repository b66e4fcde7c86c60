using JasperFx.Events;
using Pipeline.Contracts.Events;

namespace Pipeline.Events.Tests;

/// <summary>Builds stored events as Marten hands them to folds and projections.</summary>
internal sealed class Histories
{
    private readonly List<IEvent> _events = [];
    private DateTimeOffset _clock = new(2026, 11, 29, 10, 59, 0, TimeSpan.Zero);

    public static Recipient A { get; } = Recipient.Parse("a@one.test");
    public static Recipient B { get; } = Recipient.Parse("b@two.test");
    public static Recipient C { get; } = Recipient.Parse("c@two.test");

    public IReadOnlyList<IEvent> Events => _events;

    public IEvent Add<T>(T data, string name) where T : notnull
    {
        _clock = _clock.AddSeconds(30);
        var e = new Event<T>(data) { Sequence = _events.Count + 1, Version = _events.Count + 1, Timestamp = _clock, EventTypeName = name };
        _events.Add(e);
        return e;
    }

    public static MessageReceived Received(string id, IReadOnlyList<Recipient> recipients, IReadOnlyList<RefusedRecipient>? refused = null) =>
        new(id, "conn-1", "s@origin.test", recipients, 300, "192.0.2.1", 40000, "client.test", "esmtp", "127.0.0.1", 25,
            new DateTimeOffset(2026, 11, 29, 10, 59, 0, TimeSpan.Zero), PrdrRefused: refused);

    public static HostDeferred HostDeferred(string id, IReadOnlyList<Recipient> recipients, int attempt) =>
        new(id, recipients, "Connection refused", 111, "mx.two.test", "192.0.2.25", 25, "route", "remote_smtp", attempt);

    public static RecipientDelivered Delivered(string id, Recipient recipient, int attempt) =>
        new(id, recipient, "250 2.0.0 Ok", "mx.one.test", "192.0.2.26", 25, "127.0.0.1", 50000, "route", "remote_smtp", "out-1", attempt);

    public static RecipientFailed Failed(string id, Recipient recipient, int attempt) =>
        new(id, recipient, "550 5.1.1 no such user", "mx.two.test", "192.0.2.25", 25, "route", "remote_smtp", attempt);
}
