using Microsoft.Extensions.Time.Testing;
using Pipeline.Policy.Rules;

namespace Pipeline.Policy.Tests.Rules;

public class RateLimiterTests
{
    private static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void parses_exims_form()
    {
        Assert.Equal(new RateLimiter.Limit(100, TimeSpan.FromHours(1), "per_rcpt", true, false, "alice@example.org"),
            RateLimiter.Parse("100 / 1h / per_rcpt / strict / alice@example.org", "192.0.2.1"));
        Assert.Equal(new RateLimiter.Limit(2.5, TimeSpan.FromMinutes(90), "per_mail", false, false, "192.0.2.1"),
            RateLimiter.Parse("2.5/1h30m", "192.0.2.1"));
        Assert.Throws<FormatException>(() => RateLimiter.Parse("many / 1h", "k"));
        Assert.Throws<FormatException>(() => RateLimiter.Parse("10 / soon", "k"));
    }

    [Fact]
    public void leaky_mode_lets_a_client_that_slows_down_through_again_and_strict_mode_does_not()
    {
        foreach (var strict in new[] { false, true })
        {
            var clock = Clock();
            var limiter = new RateLimiter(clock);
            var limit = RateLimiter.Parse($"2 / 1h / per_rcpt / {(strict ? "strict" : "leaky")} / sender", "k");
            bool Next()
            {
                clock.Advance(TimeSpan.FromSeconds(1));
                return limiter.Record(limit, 1).Over;
            }

            Assert.False(Next());
            Assert.False(Next());
            Assert.True(Next());
            Assert.True(Next());
            Assert.True(Next());
            clock.Advance(TimeSpan.FromHours(1));
            Assert.Equal(strict, Next());
        }
    }

    [Fact]
    public void a_million_distinct_keys_leave_at_most_the_cap()
    {
        using var limiter = new RateLimiter(Clock(), maxKeys: 1000);
        for (var i = 0; i < 1_000_000; i++)
            limiter.Record(RateLimiter.Parse($"10 / 1h / key{i}", "k"), 1);
        Assert.InRange(limiter.Count, 1, 1000);
    }

    [Fact]
    public void a_key_idle_past_its_period_is_forgotten_and_a_busy_one_is_kept()
    {
        var clock = Clock();
        using var limiter = new RateLimiter(clock);
        var idle = RateLimiter.Parse("100 / 1h / strict / idle", "k");
        var busy = RateLimiter.Parse("100 / 1h / strict / busy", "k");
        limiter.Record(idle, 1);
        for (var i = 0; i < 50; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(10));
            limiter.Record(busy, 1);
        }

        // An hour and a half on, the idle key's single event has decayed below one: it is gone,
        // and its next event starts again at its count. The busy key's rate (about 45 an hour
        // after this pause) is still remembered and decays.
        clock.Advance(TimeSpan.FromMinutes(90));
        Assert.Equal(1, limiter.Record(idle, 1).Rate);
        var rate = limiter.Record(busy, 1).Rate;
        Assert.InRange(rate, 5, 40);
    }
}
