using Pipeline.Delivery.TlsReports;

namespace Pipeline.Delivery.Tests.TlsReports;

/// <summary>How <see cref="TlsReportTally"/> turns a period's session counts into one report per policy domain.</summary>
public class TlsReportTallyTests
{
    private static readonly TlsReporter Reporter = new("Example Org", "postmaster@mta.example.net", "mta.example.net");

    private static readonly DateTimeOffset Begin = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);

    private static TlsSessionCount Success(string domain, long sessions, string type = "no-policy-found", params string[] strings) =>
        new(domain, type, strings, null, null, null, null, sessions);

    private static TlsSessionCount Failure(string domain, string result, string mx, string ip, long sessions, string type = "no-policy-found",
        params string[] strings) =>
        new(domain, type, strings, result, "192.0.2.1", mx, ip, sessions);

    [Fact]
    public void each_policy_domain_gets_its_own_report_with_its_counts()
    {
        var reports = TlsReportTally.Build(
        [
            Success("b.example", 3), Success("a.example", 5), Failure("a.example", "starttls-not-supported", "mx1.a.example", "198.51.100.1", 2),
        ], Reporter, Begin, Begin.AddDays(1));

        Assert.Equal(["a.example", "b.example"], reports.Select(r => r.PolicyDomain));
        var a = reports[0];
        Assert.Equal((5L, 2L), (a.SuccessfulSessions, a.FailedSessions));
        var policy = Assert.Single(a.Policies);
        Assert.Equal(("no-policy-found", "a.example"), (policy.PolicyType, policy.PolicyDomain));
        Assert.Empty(policy.MxHosts);
        Assert.Equal(new TlsFailureDetail("starttls-not-supported", "192.0.2.1", "mx1.a.example", "198.51.100.1", 2), Assert.Single(policy.FailureDetails));
        Assert.Equal((3L, 0L), (reports[1].SuccessfulSessions, reports[1].FailedSessions));
        Assert.Equal(("Example Org", "postmaster@mta.example.net"), (a.OrganizationName, a.ContactInfo));
        Assert.Equal((Begin, Begin.AddDays(1)), (a.Begin, a.End));
    }

    [Fact]
    public void failures_of_one_kind_with_one_server_add_up_and_others_stay_apart()
    {
        var report = Assert.Single(TlsReportTally.Build(
        [
            Failure("a.example", "certificate-expired", "mx1.a.example", "198.51.100.1", 2),
            Failure("a.example", "certificate-expired", "mx1.a.example", "198.51.100.1", 3),
            Failure("a.example", "certificate-expired", "mx2.a.example", "198.51.100.2", 1),
            Failure("a.example", "certificate-host-mismatch", "mx1.a.example", "198.51.100.1", 4),
        ], Reporter, Begin, Begin.AddDays(1)));

        var policy = Assert.Single(report.Policies);
        Assert.Equal(10, policy.FailedSessions);
        Assert.Equal(0, policy.SuccessfulSessions);
        Assert.Equal([("certificate-expired", "mx1.a.example", 5L), ("certificate-expired", "mx2.a.example", 1L), ("certificate-host-mismatch", "mx1.a.example", 4L)],
            policy.FailureDetails.Select(f => (f.ResultType, f.ReceivingMxHostname!, f.FailedSessionCount)));
    }

    [Fact]
    public void different_policies_of_one_domain_are_reported_apart()
    {
        var report = Assert.Single(TlsReportTally.Build(
        [
            Success("a.example", 2),
            Success("a.example", 7, "sts", "version: STSv1", "mode: enforce"),
            Failure("a.example", "certificate-not-trusted", "mx.a.example", "198.51.100.1", 1, "sts", "version: STSv1", "mode: enforce"),
        ], Reporter, Begin, Begin.AddDays(1)));

        Assert.Equal(["no-policy-found", "sts"], report.Policies.Select(p => p.PolicyType));
        Assert.Equal((2L, 0L), (report.Policies[0].SuccessfulSessions, report.Policies[0].FailedSessions));
        Assert.Equal((7L, 1L), (report.Policies[1].SuccessfulSessions, report.Policies[1].FailedSessions));
        Assert.Equal(["version: STSv1", "mode: enforce"], report.Policies[1].PolicyStrings);
    }

    [Fact]
    public void a_tlsa_policy_names_its_mx_host_the_policy_domain()
    {
        var report = Assert.Single(TlsReportTally.Build([Success("mx.a.example", 1, "tlsa", "3 1 1 AB")], Reporter, Begin, Begin.AddDays(1)));
        Assert.Equal(["mx.a.example"], report.Policies[0].MxHosts);
        Assert.Equal(["3 1 1 AB"], report.Policies[0].PolicyStrings);
    }

    [Fact]
    public void an_mta_sts_policy_names_the_mx_patterns_of_its_lines()
    {
        var report = Assert.Single(TlsReportTally.Build(
            [Success("a.example", 1, "sts", "version: STSv1", "mode: enforce", "mx: mx1.a.example", "mx: *.backup.a.example", "max_age: 86400")],
            Reporter, Begin, Begin.AddDays(1)));
        Assert.Equal(["mx1.a.example", "*.backup.a.example"], report.Policies[0].MxHosts);
    }

    [Fact]
    public void the_report_id_is_the_same_whenever_the_report_is_built_again()
    {
        var first = TlsReportTally.Build([Success("a.example", 1)], Reporter, Begin, Begin.AddDays(1))[0].ReportId;
        Assert.Equal(first, TlsReportTally.Build([Success("a.example", 9)], Reporter, Begin, Begin.AddDays(1))[0].ReportId);
        Assert.NotEqual(first, TlsReportTally.Build([Success("a.example", 1)], Reporter, Begin.AddDays(1), Begin.AddDays(2))[0].ReportId);
        Assert.Equal($"{Begin.ToUnixTimeSeconds()}.a.example@mta.example.net", first);
    }

    [Fact]
    public void no_sessions_make_no_report()
    {
        Assert.Empty(TlsReportTally.Build([], Reporter, Begin, Begin.AddDays(1)));
    }
}
