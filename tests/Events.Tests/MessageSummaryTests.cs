using Pipeline.Contracts.Events;
using Pipeline.Events.Projections;

namespace Pipeline.Events.Tests;

/// <summary>The message summary folded from a stream, as searches and the message page show it.</summary>
public sealed class message_summary
{
    [Fact]
    public void each_recipient_counts_the_attempts_that_were_for_it()
    {
        var h = new Histories();
        h.Add(Histories.Received("m1", [Histories.A, Histories.B, Histories.C]), "msg:received");
        // Attempt 1: A delivered, B and C deferred.
        h.Add(Histories.Delivered("m1", Histories.A, 1), "msg:delivery");
        h.Add(Histories.HostDeferred("m1", [Histories.B, Histories.C], 1), "msg:host:defer");
        h.Add(new MessageDeferred("m1", [Histories.B, Histories.C], DateTimeOffset.UnixEpoch.AddDays(20_000), 1, "Connection refused"), "msg:defer");
        // Attempt 2: B delivered, C failed.
        h.Add(Histories.Delivered("m1", Histories.B, 2), "msg:delivery");
        h.Add(Histories.Failed("m1", Histories.C, 2), "msg:fail:delivery");
        h.Add(new MessageCompleted("m1", 2, 1), "msg:complete");

        var summary = MessageSummary.From(h.Events)!;

        Assert.Equal("completed", summary.Status);
        Assert.Equal(2, summary.Attempts);
        Assert.Null(summary.NextAttemptAt);
        Assert.Equal(h.Events[^1].Timestamp, summary.CompletedAt);
        Assert.Equal([(RecipientState.Delivered, 1), (RecipientState.Delivered, 2), (RecipientState.Failed, 2)],
            summary.Recipients.Select(r => (r.State, r.Attempts)));
        Assert.Equal("550 5.1.1 no such user", summary.Recipients[2].LastResult);
        Assert.Equal("mx.two.test", summary.Recipients[2].Host);
    }

    [Fact]
    public void a_deferred_message_says_when_and_why_it_waits()
    {
        var h = new Histories();
        var next = new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
        h.Add(Histories.Received("m1", [Histories.B]), "msg:received");
        h.Add(Histories.HostDeferred("m1", [Histories.B], 1), "msg:host:defer");
        h.Add(new MessageDeferred("m1", [Histories.B], next, 1, "Connection refused"), "msg:defer");

        var summary = MessageSummary.From(h.Events)!;

        Assert.Equal("deferred", summary.Status);
        Assert.Equal(next, summary.NextAttemptAt);
        Assert.Equal("Connection refused", summary.LastError);
        Assert.Equal((RecipientState.Deferred, 1, "mx.two.test"), (summary.Recipients[0].State, summary.Recipients[0].Attempts, summary.Recipients[0].Host));
    }

    [Fact]
    public void recipients_refused_with_prdr_are_listed_after_the_accepted_ones_and_never_tried()
    {
        var h = new Histories();
        h.Add(Histories.Received("m1", [Histories.A], [new RefusedRecipient(Histories.B, "550 5.7.1 not wanted")]), "msg:received");
        h.Add(Histories.Delivered("m1", Histories.A, 1), "msg:delivery");
        h.Add(new MessageCompleted("m1", 1, 0), "msg:complete");

        var summary = MessageSummary.From(h.Events)!;

        Assert.Equal(["a@one.test", "b@two.test"], summary.Recipients.Select(r => r.Address));
        Assert.Equal((RecipientState.Refused, 0, "550 5.7.1 not wanted"),
            (summary.Recipients[1].State, summary.Recipients[1].Attempts, summary.Recipients[1].LastResult));
    }

    [Fact]
    public void a_cancelled_message_fails_its_pending_recipients_and_completes()
    {
        var h = new Histories();
        h.Add(Histories.Received("m1", [Histories.B]), "msg:received");
        h.Add(new MessageDeferred("m1", [Histories.B], DateTimeOffset.UnixEpoch, 1, "Connection refused"), "msg:defer");
        h.Add(new MessageCancelled("m1", [Histories.B], "cancelled by administrator", "admin token"), "msg:cancel");
        h.Add(new RecipientFailedInternally("m1", Histories.B, "cancelled by administrator", null), "msg:fail:internal");
        h.Add(new MessageCompleted("m1", 0, 1), "msg:complete");

        var summary = MessageSummary.From(h.Events)!;

        Assert.Equal("completed", summary.Status);
        Assert.Equal((RecipientState.Failed, "cancelled by administrator"), (summary.Recipients[0].State, summary.Recipients[0].LastResult));
    }

    [Fact]
    public void a_stream_that_does_not_open_with_msg_received_is_no_message()
    {
        var h = new Histories();
        h.Add(new TcpConnected("conn-1", Direction.Inbound, "192.0.2.1", 40000, "127.0.0.1", 25), "tcp:connect");
        Assert.Null(MessageSummary.From(h.Events));
    }
}
