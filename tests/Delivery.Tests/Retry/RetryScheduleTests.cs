using Pipeline.Delivery.Retry;

namespace Pipeline.Delivery.Tests.Retry;

public class RetryScheduleTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("")]
    [InlineData("F,2h")]
    [InlineData("X,2h,15m")]
    [InlineData("F,2h,0s")]
    [InlineData("F,2h,15m; F,1h,5m")]
    [InlineData("G,16h,1h,0.5")]
    [InlineData("F,2x,15m")]
    public void malformed_rules_are_refused(string rules) =>
        Assert.Throws<FormatException>(() => RetrySchedule.Parse(rules));

    [Fact]
    public void a_fixed_rule_retries_at_its_interval_until_its_cutoff()
    {
        var schedule = RetrySchedule.Parse("F,1h,15m");
        Assert.Equal(Start.AddMinutes(15), schedule.Next(Start, Start));
        Assert.Equal(Start.AddMinutes(30), schedule.Next(Start, Start.AddMinutes(16)));
        Assert.Equal(Start.AddHours(1), schedule.Next(Start, Start.AddMinutes(50)));
        Assert.Null(schedule.Next(Start, Start.AddHours(1)));
    }

    [Fact]
    public void a_geometric_rule_grows_its_interval_from_where_the_previous_rule_ended()
    {
        var schedule = RetrySchedule.Parse("F,2h,15m; G,16h,1h,1.5");
        // The G rule starts at 2h: tries at 3h, 4.5h, 6.75h ...
        Assert.Equal(Start.AddHours(3), schedule.Next(Start, Start.AddHours(2)));
        Assert.Equal(Start.AddHours(4.5), schedule.Next(Start, Start.AddHours(3)));
        Assert.Equal(Start.AddHours(6.75), schedule.Next(Start, Start.AddHours(5)));
        Assert.Equal(TimeSpan.FromHours(16), schedule.GiveUpAfter);
    }

    [Fact]
    public void the_default_rule_gives_up_after_four_days() =>
        Assert.Null(RetrySchedule.Parse(new DeliveryOptions().RetryRules).Next(Start, Start.AddDays(4)));
}
