using System.Net;
using Pipeline.Delivery.Retry;

namespace Pipeline.Delivery.Tests.Retry;

public class HostRetryTests
{
    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly IPEndPoint Server = new(IPAddress.Parse("192.0.2.25"), 25);

    [Fact]
    public void a_server_that_failed_is_held_until_its_retry_time_and_released_by_a_success()
    {
        var clock = new Clock();
        using var retry = new HostRetry(new DeliveryOptions { RetryRules = "F,2h,15m" }, clock);
        retry.Failed(Server, "Connection refused");
        Assert.StartsWith("retry time not reached for [192.0.2.25]:25", retry.Held(Server), StringComparison.Ordinal);
        clock.Now += TimeSpan.FromMinutes(16);
        Assert.Null(retry.Held(Server));
        retry.Failed(Server, "Connection refused");
        Assert.NotNull(retry.Held(Server));
        retry.Succeeded(Server);
        Assert.Null(retry.Held(Server));
    }

    [Fact]
    public void a_million_distinct_servers_leave_at_most_the_cap()
    {
        using var retry = new HostRetry(new DeliveryOptions(), new Clock(), maxServers: 1000);
        for (var i = 0; i < 1_000_000; i++)
            retry.Failed(new IPEndPoint(new IPAddress(BitConverter.GetBytes(0x0A000000 + i)), 25), "Connection refused");
        Assert.InRange(retry.Count, 1, 1000);
    }

    [Fact]
    public void a_server_is_forgotten_once_the_retry_rules_have_run_their_course()
    {
        var clock = new Clock();
        using var retry = new HostRetry(new DeliveryOptions { RetryRules = "F,2h,15m" }, clock);
        retry.Failed(Server, "first");
        clock.Now += TimeSpan.FromMinutes(100);
        retry.Failed(Server, "again");
        Assert.Contains("down since 2026-12-01 12:00:00Z", retry.Held(Server), StringComparison.Ordinal);

        // Past the last cutoff its record is gone: a new failure starts the rules afresh.
        clock.Now += TimeSpan.FromMinutes(21);
        retry.Failed(Server, "later");
        Assert.Contains("down since 2026-12-01 14:01:00Z", retry.Held(Server), StringComparison.Ordinal);
    }
}
