using Pipeline.Delivery.Bounces;

namespace Pipeline.Delivery.Tests.Bounces;

public class DelayWarningScheduleTests
{
    private static TimeSpan H(double hours) => TimeSpan.FromHours(hours);

    [Fact]
    public void Warnings_come_at_each_time_of_the_list_then_every_last_gap_as_in_exims_example()
    {
        // Exim's "delay_warning = 4h:8h:24h": at 4, 8 and 24 hours, then every 16 hours.
        var schedule = DelayWarningSchedule.Parse("4h:8h:24h");
        Assert.Null(schedule.Due(H(3.9), 0));
        Assert.Equal((1, H(4)), schedule.Due(H(4), 0));
        Assert.Null(schedule.Due(H(7), 1));
        Assert.Equal((2, H(8)), schedule.Due(H(9), 1));
        Assert.Equal((3, H(24)), schedule.Due(H(24), 2));
        Assert.Null(schedule.Due(H(39.9), 3));
        Assert.Equal((4, H(40)), schedule.Due(H(40), 3));
        Assert.Equal((5, H(56)), schedule.Due(H(60), 4));
    }

    [Fact]
    public void Times_passed_between_two_attempts_make_one_warning_and_count_as_sent()
    {
        var schedule = DelayWarningSchedule.Parse("4h:8h:24h");
        // First attempt after 30 hours: 24 h passed, the count jumps to 3; nothing more is due before 40 h.
        Assert.Equal((3, H(24)), schedule.Due(H(30), 0));
        Assert.Null(schedule.Due(H(31), 3));
        // After 100 hours: 24 h + 4 × 16 h = 88 h, the 7th time.
        Assert.Equal((7, H(88)), schedule.Due(H(100), 0));
    }

    [Fact]
    public void A_single_time_is_the_repeat_interval()
    {
        var schedule = DelayWarningSchedule.Parse("6h");
        Assert.Null(schedule.Due(H(5), 0));
        Assert.Equal((1, H(6)), schedule.Due(H(6), 0));
        Assert.Null(schedule.Due(H(11), 1));
        Assert.Equal((2, H(12)), schedule.Due(H(12.5), 1));
        Assert.Equal((3, TimeSpan.FromSeconds(6)), DelayWarningSchedule.Parse("2s").Due(TimeSpan.FromSeconds(7), 2));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("0")]
    public void Empty_or_zero_never_warns(string text)
    {
        var schedule = DelayWarningSchedule.Parse(text);
        Assert.True(schedule.IsNever);
        Assert.Null(schedule.Due(TimeSpan.FromDays(100), 0));
    }

    [Theory]
    [InlineData("4h:2h", "must increase")]
    [InlineData("4h:4h", "must increase")]
    [InlineData("soon", "not a time")]
    [InlineData("4h::8h", "not a time")]
    [InlineData("1s:2s:3s:4s:5s:6s:7s:8s:9s:10s:11s", "at most 10")]
    public void A_malformed_list_is_refused_with_the_reason(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => DelayWarningSchedule.Parse(text));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2, "2 seconds")]
    [InlineData(60, "1 minute")]
    [InlineData(150, "2 minutes")]
    [InlineData(5400, "1 hour")]
    [InlineData(86400, "24 hours")]
    public void A_delay_is_worded_in_hours_minutes_or_seconds(int seconds, string words) =>
        Assert.Equal(words, DelayWarningSchedule.Words(TimeSpan.FromSeconds(seconds)));
}
