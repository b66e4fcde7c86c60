using Pipeline.Contracts.Events;
using Pipeline.Infrastructure.Store;

namespace Pipeline.Infrastructure.Tests.Store;

/// <summary>
/// The hot hand-off holds what ingress commits for a delivery worker of the same process: each
/// message taken once, within its bounds of memory and age, and nothing at all when delivery
/// runs elsewhere.
/// </summary>
public sealed class committed_messages
{
    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 6, 7, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static MessageReceived Received(string id) =>
        new(id, "c1", "s@origin.test", [Recipient.Parse("a@example.test")], 100, "192.0.2.1", 50000, "client.test", "esmtp",
            "127.0.0.1", 25, new DateTimeOffset(2026, 12, 6, 7, 0, 0, TimeSpan.Zero));

    [Fact]
    public void a_held_message_is_taken_once()
    {
        using var held = new CommittedMessages(true, new Clock());
        held.Hold(Received("m1"), [1, 2, 3]);
        var taken = held.Take("m1");
        Assert.NotNull(taken);
        Assert.Equal("m1", taken.Received.MessageId);
        Assert.Equal([1, 2, 3], taken.Data);
        Assert.Null(held.Take("m1"));
    }

    [Fact]
    public void nothing_is_held_when_delivery_runs_elsewhere()
    {
        using var held = new CommittedMessages(false, new Clock());
        Assert.False(held.Enabled);
        held.Hold(Received("m1"), [1, 2, 3]);
        Assert.Null(held.Take("m1"));
    }

    [Fact]
    public void a_message_whose_commit_failed_is_dropped()
    {
        using var held = new CommittedMessages(true, new Clock());
        held.Hold(Received("m1"), [1, 2, 3]);
        held.Drop("m1");
        Assert.Null(held.Take("m1"));
    }

    [Fact]
    public void a_message_past_the_memory_limit_is_not_held()
    {
        using var held = new CommittedMessages(true, new Clock(), maxBytes: 10_000);
        held.Hold(Received("m1"), new byte[4_000]);
        held.Hold(Received("m2"), new byte[4_000]);
        held.Hold(Received("m3"), new byte[4_000]);
        Assert.Null(held.Take("m3"));
    }

    [Fact]
    public void a_message_not_taken_within_its_age_is_forgotten()
    {
        var clock = new Clock();
        using var held = new CommittedMessages(true, clock);
        held.Hold(Received("m1"), [1]);
        held.Hold(Received("m2"), [2]);
        clock.Now += CommittedMessages.MaxAge - TimeSpan.FromSeconds(1);
        Assert.NotNull(held.Take("m1"));
        clock.Now += TimeSpan.FromSeconds(2);
        Assert.Null(held.Take("m2"));
    }
}
