using Pipeline.Events.Dmarc;

namespace Pipeline.Events.Tests.Dmarc;

/// <summary>
/// The per-domain limit of failure reports (<c>Events:DmarcReports:FailureReportsPerHour</c>):
/// the count of a policy domain's reports comes from their claims in the database; whether one
/// more may go is decided here.
/// </summary>
public class FailureRateLimitTests
{
    [Theory]
    // reports of the domain in the last hour, limit, one more may go
    [InlineData(0, 10, true)]
    [InlineData(9, 10, true)]
    [InlineData(10, 10, false)]
    [InlineData(11, 10, false)]
    [InlineData(0, 1, true)]
    [InlineData(1, 1, false)]
    public void a_domain_gets_reports_until_it_has_had_the_limit_in_the_window(long reportsInWindow, int perHour, bool allowed) =>
        Assert.Equal(allowed, FailureReporter.WithinRateLimit(reportsInWindow, perHour));

    [Fact]
    public void a_limit_of_zero_sends_no_failure_report_at_all() =>
        Assert.False(FailureReporter.WithinRateLimit(0, 0));

    [Fact]
    public void the_limit_counts_the_reports_of_the_last_hour() =>
        Assert.Equal(TimeSpan.FromHours(1), FailureReporter.RateWindow);
}
