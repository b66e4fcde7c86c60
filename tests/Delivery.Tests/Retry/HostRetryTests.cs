using Microsoft.Extensions.Time.Testing;
using System.Net;
using Pipeline.Delivery.Retry;

namespace Pipeline.Delivery.Tests.Retry;

public class HostRetryTests
{
    private static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    private static readonly IPEndPoint Server = new(IPAddress.Parse("192.0.2.25"), 25);

    [Fact]
    public void a_server_that_failed_is_held_until_its_retry_time_and_released_by_a_success()
    {
        var clock = Clock();
        using var retry = new HostRetry(new DeliveryOptions { RetryRules = "F,2h,15m" }, clock);
        retry.Failed(Server, "Connection refused");
        Assert.StartsWith("retry time not reached for [192.0.2.25]:25", retry.Held(Server), StringComparison.Ordinal);
        clock.Advance(TimeSpan.FromMinutes(16));
        Assert.Null(retry.Held(Server));
        retry.Failed(Server, "Connection refused");
        Assert.NotNull(retry.Held(Server));
        retry.Succeeded(Server);
        Assert.Null(retry.Held(Server));
    }

    [Fact]
    public void a_million_distinct_servers_leave_at_most_the_cap()
    {
        using var retry = new HostRetry(new DeliveryOptions(), Clock(), maxServers: 1000);
        for (var i = 0; i < 1_000_000; i++)
            retry.Failed(new IPEndPoint(new IPAddress(BitConverter.GetBytes(0x0A000000 + i)), 25), "Connection refused");
        Assert.InRange(retry.Count, 1, 1000);
    }

    [Fact]
    public void a_server_is_forgotten_once_the_retry_rules_have_run_their_course()
    {
        var clock = Clock();
        using var retry = new HostRetry(new DeliveryOptions { RetryRules = "F,2h,15m" }, clock);
        retry.Failed(Server, "first");
        clock.Advance(TimeSpan.FromMinutes(100));
        retry.Failed(Server, "again");
        Assert.Contains("down since 2026-12-01 12:00:00Z", retry.Held(Server), StringComparison.Ordinal);

        // Past the last cutoff its record is gone: a new failure starts the rules afresh.
        clock.Advance(TimeSpan.FromMinutes(21));
        retry.Failed(Server, "later");
        Assert.Contains("down since 2026-12-01 14:01:00Z", retry.Held(Server), StringComparison.Ordinal);
    }
}
