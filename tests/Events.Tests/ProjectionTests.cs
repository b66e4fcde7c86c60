using Pipeline.Contracts.Events;
using Pipeline.Events.Projections;

namespace Pipeline.Events.Tests;

/// <summary>The folds of the other projections: recipients' histories, connections, hourly counters.</summary>
public sealed class projection_folds
{
    [Fact]
    public void each_recipient_of_a_message_has_its_own_delivery_history()
    {
        var h = new Histories();
        var received = h.Add(Histories.Received("m1", [Histories.A], [new RefusedRecipient(Histories.B, "550 5.7.1 no")]), "msg:received");
        var deferred = h.Add(Histories.HostDeferred("m1", [Histories.A], 1), "msg:host:defer");
        var delivered = h.Add(Histories.Delivered("m1", Histories.A, 2), "msg:delivery");

        Assert.Equal(["m1/a@one.test", "m1/b@two.test"], RecipientDelivery.Concerned(received.Data));
        Assert.Equal(["m1/a@one.test"], RecipientDelivery.Concerned(deferred.Data));
        Assert.Empty(RecipientDelivery.Concerned(new MessageCompleted("m1", 1, 0)));

        var a = RecipientDelivery.Fold(null, "m1/a@one.test", received);
        a = RecipientDelivery.Fold(a, "m1/a@one.test", deferred);
        a = RecipientDelivery.Fold(a, "m1/a@one.test", delivered);
        Assert.Equal(("a@one.test", "one.test", RecipientState.Delivered), (a.Address, a.Domain, a.State));
        Assert.Equal(["msg:received", "msg:host:defer", "msg:delivery"], a.Steps.Select(s => s.Event));
        Assert.Equal("Connection refused", a.Steps[1].Result);

        var b = RecipientDelivery.Fold(null, "m1/b@two.test", received);
        Assert.Equal((RecipientState.Refused, "prdr:refused", "550 5.7.1 no"), (b.State, b.Steps[0].Event, b.Steps[0].Result));
    }

    [Fact]
    public void an_event_counts_once_per_domain_it_names_in_its_hour()
    {
        var h = new Histories();
        var received = h.Add(Histories.Received("m1", [Histories.A, Histories.B, Histories.C]), "msg:received");
        var connected = h.Add(new TcpConnected("conn-1", Direction.Inbound, "192.0.2.1", 40000, "127.0.0.1", 25), "tcp:connect"); // at 11:00:00

        Assert.Equal(["2026-11-29T10|msg:received|one.test", "2026-11-29T10|msg:received|two.test"], EventCount.Concerned(received));
        var id = Assert.Single(EventCount.Concerned(connected));
        Assert.Equal("2026-11-29T11|tcp:connect|", id);

        var count = EventCount.Add(EventCount.Add(null, id), id);
        Assert.Equal(("tcp:connect", "", 2L, new DateTimeOffset(2026, 11, 29, 11, 0, 0, TimeSpan.Zero)), (count.Name, count.Domain, count.Count, count.Hour));
    }

    [Fact]
    public void a_connection_summary_keeps_its_banner_refusals_and_close()
    {
        var h = new Histories();
        ConnectionSummary? summary = null;
        foreach (var e in new[]
                 {
                     h.Add(new TcpConnected("conn-1", Direction.Inbound, "192.0.2.1", 40000, "127.0.0.1", 25), "tcp:connect"),
                     h.Add(new SmtpConnected("conn-1", Direction.Inbound, "220 pipeline.test ESMTP", "192.0.2.1", 40000), "smtp:connect"),
                     h.Add(new PolicyVerdictGiven("conn-1", Contracts.Policy.PolicyStage.Rcpt, Contracts.Policy.PolicyAction.Deny, "550 5.7.1 no",
                         "s@origin.test", "x@blocked.test"), "policy:verdict"),
                     h.Add(new TcpClosed("conn-1", Direction.Inbound, "192.0.2.1", 40000, "QUIT", 0), "tcp:close"),
                 })
        {
            summary = ConnectionSummary.Fold(summary, e);
        }

        Assert.Equal("220 pipeline.test ESMTP", summary!.Banner);
        Assert.Equal(["Rcpt: 550 5.7.1 no"], summary.Refusals);
        Assert.Equal(("QUIT", h.Events[^1].Timestamp), (summary.CloseReason, summary.ClosedAt));
    }
}
