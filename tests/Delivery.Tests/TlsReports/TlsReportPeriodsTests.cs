using Pipeline.Delivery.TlsReports;

namespace Pipeline.Delivery.Tests.TlsReports;

/// <summary>The periods TLS reports cover (<see cref="TlsReportPeriods"/>).</summary>
public class TlsReportPeriodsTests
{
    [Fact]
    public void a_day_is_a_utc_day_reported_once_a_minute_of_grace_has_passed()
    {
        var midnight = new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal((midnight.AddDays(-2), midnight.AddDays(-1)), TlsReportPeriods.LastCompleted(midnight.AddSeconds(59), TimeSpan.FromDays(1)));
        Assert.Equal((midnight.AddDays(-1), midnight), TlsReportPeriods.LastCompleted(midnight.AddMinutes(1), TimeSpan.FromDays(1)));
        Assert.Equal((midnight.AddDays(-1), midnight), TlsReportPeriods.LastCompleted(midnight.AddHours(23), TimeSpan.FromDays(1)));
    }

    [Fact]
    public void a_day_is_the_same_period_in_any_time_zone()
    {
        var late = new DateTimeOffset(2026, 12, 7, 23, 30, 0, TimeSpan.FromHours(-5));
        Assert.Equal(new DateTimeOffset(2026, 12, 8, 0, 0, 0, TimeSpan.Zero), TlsReportPeriods.LastCompleted(late, TimeSpan.FromDays(1)).End);
    }

    [Fact]
    public void short_periods_for_tests_are_aligned_and_wait_a_tenth_of_themselves()
    {
        var start = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        Assert.Equal((start.AddSeconds(-10), start), TlsReportPeriods.LastCompleted(start.AddSeconds(1), TimeSpan.FromSeconds(10)));
        Assert.Equal((start.AddSeconds(-20), start.AddSeconds(-10)), TlsReportPeriods.LastCompleted(start.AddMilliseconds(999), TimeSpan.FromSeconds(10)));
    }

    [Theory]
    [InlineData("00:00:00.5")]
    [InlineData("00:00:07")]
    [InlineData("1.12:00:00")]
    public void a_period_that_does_not_tile_days_is_refused(string period)
    {
        Assert.Throws<InvalidOperationException>(() => new TlsReportOptions { Period = TimeSpan.Parse(period, System.Globalization.CultureInfo.InvariantCulture) }.Validate());
    }
}
