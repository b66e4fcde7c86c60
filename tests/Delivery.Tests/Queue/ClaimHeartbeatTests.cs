using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Pipeline.Delivery;
using Pipeline.Delivery.Queue;
using Pipeline.Infrastructure.Configuration;

namespace Pipeline.Delivery.Tests.Queue;

/// <summary>
/// What a renewal makes of the claims it did not find: lost only once they have run out; a
/// claim still holding whose row went away was ended by its own attempt's outcome.
/// </summary>
public class ClaimHeartbeatTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset Start = new(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);

    private static ClaimHeartbeat Heartbeat()
    {
        var options = new DeliveryOptions { ClaimLease = Lease };
        var claims = new QueueClaims(NpgsqlDataSource.Create("Host=127.0.0.1"), new StoreSettings(), options);
        return new ClaimHeartbeat(claims, options, TimeProvider.System, NullLogger<ClaimHeartbeat>.Instance);
    }

    [Fact]
    public void a_claim_the_renewal_found_is_extended()
    {
        var claim = Heartbeat().Track("m1", Start);
        var lost = ClaimHeartbeat.Settle([claim], new HashSet<string> { "m1" }, Start + TimeSpan.FromSeconds(10), Lease);
        Assert.Empty(lost);
        Assert.Equal(Start + TimeSpan.FromSeconds(40), claim.Until);
    }

    [Fact]
    public void a_claim_not_found_while_it_still_holds_is_not_lost()
    {
        var claim = Heartbeat().Track("m1", Start);
        var lost = ClaimHeartbeat.Settle([claim], new HashSet<string>(), Start + TimeSpan.FromSeconds(10), Lease);
        Assert.Empty(lost);
        Assert.Equal(Start + Lease, claim.Until);
        Assert.True(claim.IsHeldAt(Start + TimeSpan.FromSeconds(29)));
        Assert.False(claim.IsHeldAt(Start + Lease));
    }

    [Fact]
    public void a_claim_not_found_once_it_has_run_out_is_lost()
    {
        var claim = Heartbeat().Track("m1", Start);
        var lost = ClaimHeartbeat.Settle([claim], new HashSet<string>(), Start + Lease, Lease);
        Assert.Equal([claim], lost);
    }
}
