using Microsoft.Extensions.Time.Testing;
using Pipeline.Ingress.Auth;

namespace Pipeline.Ingress.Tests.Auth;

public class AuthThrottleTests
{
    private static (AuthThrottle Throttle, FakeTimeProvider Clock) Create(int max = 3, int windowMinutes = 10)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        return (new AuthThrottle(new IngressOptions { AuthFailuresMax = max, AuthFailureWindow = TimeSpan.FromMinutes(windowMinutes) }, clock), clock);
    }

    [Fact]
    public void blocks_an_address_at_its_limit_and_only_that_address()
    {
        var (throttle, _) = Create();
        for (var i = 0; i < 2; i++)
            throttle.Failed("192.0.2.1");
        Assert.False(throttle.Blocked("192.0.2.1"));
        throttle.Failed("192.0.2.1");
        Assert.True(throttle.Blocked("192.0.2.1"));
        Assert.False(throttle.Blocked("192.0.2.2"));
    }

    [Fact]
    public void lets_an_address_try_again_as_its_oldest_failure_leaves_the_window()
    {
        var (throttle, clock) = Create();
        throttle.Failed("192.0.2.1");
        clock.Advance(TimeSpan.FromMinutes(5));
        throttle.Failed("192.0.2.1");
        throttle.Failed("192.0.2.1");
        Assert.True(throttle.Blocked("192.0.2.1"));
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.False(throttle.Blocked("192.0.2.1"));
        throttle.Failed("192.0.2.1");
        Assert.True(throttle.Blocked("192.0.2.1"));
    }

    [Fact]
    public void zero_means_no_limit()
    {
        var (throttle, _) = Create(max: 0);
        for (var i = 0; i < 100; i++)
            throttle.Failed("192.0.2.1");
        Assert.False(throttle.Blocked("192.0.2.1"));
    }

    [Fact]
    public void follows_a_bounded_number_of_addresses_forgetting_the_least_recent_first()
    {
        var (throttle, clock) = Create(max: 1);
        throttle.Failed("198.51.100.1");
        for (var i = 0; i < AuthThrottle.MaxClients; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(1));
            throttle.Failed($"10.{i / 65536}.{i / 256 % 256}.{i % 256}");
        }

        Assert.False(throttle.Blocked("198.51.100.1"));
        Assert.True(throttle.Blocked("10.0.0.1"));
        Assert.True(throttle.Blocked($"10.0.{(AuthThrottle.MaxClients - 1) / 256 % 256}.{(AuthThrottle.MaxClients - 1) % 256}"));
    }
}
