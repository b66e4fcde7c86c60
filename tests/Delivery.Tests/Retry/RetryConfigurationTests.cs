using Pipeline.Delivery.Retry;

namespace Pipeline.Delivery.Tests.Retry;

public class RetryConfigurationTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly RetryError Refused = new(RetryErrorKind.Refused);
    private static readonly RetryError RefusedMx = new(RetryErrorKind.Refused, FromMx: true);
    private static readonly RetryError ConnectTimeout = new(RetryErrorKind.ConnectTimeout);
    private static readonly RetryError SessionTimeout = new(RetryErrorKind.Timeout);

    private static RetryError Rcpt(int code) => new(RetryErrorKind.Rcpt, code);

    private static RetryConfiguration Parse(params string[] lines) => RetryConfiguration.Parse(lines, "F,2h,15m; G,16h,1h,1.5; F,4d,6h");

    [Theory]
    [InlineData("*", "no error name")]
    [InlineData("* *", "no retry rules")]
    [InlineData("* rcpt_5xx F,1h,5m", "not a retry error name")]
    [InlineData("* rcpt_4x2 F,1h,5m", "not a retry error name")]
    [InlineData("* rcpt_4 F,1h,5m", "not a retry error name")]
    [InlineData("* quota F,1h,5m", "not a retry error name")]
    [InlineData("* timeout_B F,1h,5m", "not a retry error name")]
    [InlineData("* refused F,1h", "expected F,cutoff,interval")]
    [InlineData("* refused F,1h,5m; F,30m,5m", "cutoffs increase")]
    [InlineData("^[ * F,1h,5m", "not a regular expression")]
    [InlineData("@example.com * F,1h,5m", "empty local part")]
    [InlineData("\"*.example.com * F,1h,5m", "unterminated quote")]
    public void malformed_lines_are_refused_with_the_line_and_the_reason(string line, string reason)
    {
        var e = Assert.Throws<FormatException>(() => Parse("* * F,1h,1m", line));
        Assert.StartsWith("Delivery:Retry:1: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void malformed_fallback_rules_name_delivery_retry_rules()
    {
        var e = Assert.Throws<FormatException>(() => RetryConfiguration.Parse([], "F,2h"));
        Assert.StartsWith("Delivery:RetryRules: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void the_options_refuse_a_malformed_line_at_start_up()
    {
        var options = new DeliveryOptions { Retry = ["* refusd F,1h,5m"] };
        var e = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Contains("Delivery:Retry:0: retry line '* refusd F,1h,5m': 'refusd' is not a retry error name", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void without_lines_the_retry_rules_apply_to_every_deferral_as_before()
    {
        var retry = RetryConfiguration.Parse([], "F,1h,10m");
        var line = retry.For("a@example.com", "mx.example.com", "s@example.org", Refused);
        Assert.Same(retry.Fallback, line);
        Assert.Equal("* * F,1h,10m", line.Text);
        Assert.Equal(Start.AddMinutes(10), line.Schedule.Next(Start, Start));
    }

    [Fact]
    public void the_first_line_matching_the_address_and_the_error_applies()
    {
        var retry = Parse(
            "*.example.com  rcpt_4xx  F,1h,5m; G,1d,15m,2",
            "*              refused   F,2h,10m",
            "*              *         F,3h,20m");
        Assert.Equal("*.example.com  rcpt_4xx  F,1h,5m; G,1d,15m,2", retry.For("a@mx.example.com", null, "", Rcpt(451)).Text);
        Assert.Equal("*              *         F,3h,20m", retry.For("a@example.com", null, "", Rcpt(451)).Text);
        Assert.Equal("*              refused   F,2h,10m", retry.For("a@mx.example.com", null, "", Refused).Text);
        Assert.Equal("*              *         F,3h,20m", retry.For("a@mx.example.com", null, "", SessionTimeout).Text);
    }

    [Theory]
    [InlineData("*", true)]
    [InlineData("rcpt_4xx", true)]
    [InlineData("rcpt_45x", true)]
    [InlineData("rcpt_452", true)]
    [InlineData("rcpt_451", false)]
    [InlineData("rcpt_44x", false)]
    [InlineData("mail_4xx", false)]
    [InlineData("data_4xx", false)]
    public void reply_code_errors_match_by_command_and_digits(string error, bool matches) =>
        Assert.Equal(matches, RetryErrorPattern.Parse(error).Matches(Rcpt(452)));

    [Theory]
    [InlineData("refused", true, true, false, false)]
    [InlineData("refused_MX", false, true, false, false)]
    [InlineData("refused_A", true, false, false, false)]
    [InlineData("timeout_connect", false, false, true, false)]
    [InlineData("timeout_connect_MX", false, false, false, false)]
    [InlineData("timeout_connect_A", false, false, true, false)]
    [InlineData("timeout", false, false, true, true)]
    [InlineData("timeout_A", false, false, true, true)]
    [InlineData("timeout_MX", false, false, false, false)]
    [InlineData("lost_connection", false, false, false, false)]
    public void connection_errors_match_as_exim_names_them(string error, bool refused, bool refusedMx, bool connectTimeout, bool sessionTimeout)
    {
        var pattern = RetryErrorPattern.Parse(error);
        Assert.Equal(refused, pattern.Matches(Refused));
        Assert.Equal(refusedMx, pattern.Matches(RefusedMx));
        Assert.Equal(connectTimeout, pattern.Matches(ConnectTimeout));
        Assert.Equal(sessionTimeout, pattern.Matches(SessionTimeout));
    }

    [Theory]
    [InlineData("auth_failed", RetryErrorKind.AuthFailed)]
    [InlineData("tls_required", RetryErrorKind.TlsRequired)]
    [InlineData("lost_connection", RetryErrorKind.LostConnection)]
    [InlineData("lookup", RetryErrorKind.Lookup)]
    [InlineData("mail_4xx", RetryErrorKind.Mail)]
    [InlineData("data_4xx", RetryErrorKind.Data)]
    public void each_named_error_matches_its_kind_only(string error, RetryErrorKind kind)
    {
        var pattern = RetryErrorPattern.Parse(error);
        foreach (var other in Enum.GetValues<RetryErrorKind>())
            Assert.Equal(other == kind, pattern.Matches(new RetryError(other, 451)));
    }

    [Theory]
    [InlineData("example.com", "a@example.com", true)]
    [InlineData("example.com", "a@mx.example.com", false)]
    [InlineData("*.example.com", "a@mx.example.com", true)]
    [InlineData("*.example.com", "a@example.com", false)]
    [InlineData("*example.com", "a@example.com", true)]
    [InlineData("alice@example.com", "Alice@EXAMPLE.com", true)]
    [InlineData("alice@example.com", "bob@example.com", false)]
    [InlineData("*@*.example.com", "bob@mx.example.com", true)]
    [InlineData("*-request@example.com", "list-request@example.com", true)]
    [InlineData("^[^@]+@xyz\\d+\\.example$", "a@xyz12.example", true)]
    [InlineData("^xyz\\d+\\.example$", "a@xyz12.example", false)]
    [InlineData("!example.com", "a@example.com", false)]
    [InlineData("!example.com", "a@example.org", true)]
    public void address_patterns_follow_exim_address_lists(string pattern, string address, bool matches) =>
        Assert.Equal(matches, RetryAddressPattern.Parse(pattern).Matches(address));

    [Fact]
    public void a_host_error_matches_the_host_name_then_the_recipient_domain_but_not_a_local_part()
    {
        var retry = Parse(
            "alice@a.example  *  F,1h,1m",
            "p.q.r.example    *  F,24h,30m",
            "a.example        *  F,4d,45m");
        // Exim's example (spec 32.4): the host's own rule first, then the domain's.
        Assert.Equal("p.q.r.example    *  F,24h,30m", retry.For("alice@a.example", "p.q.r.example", "", Refused).Text);
        Assert.Equal("a.example        *  F,4d,45m", retry.For("alice@a.example", "x.y.z.example", "", Refused).Text);
        // An address error takes the whole address.
        Assert.Equal("alice@a.example  *  F,1h,1m", retry.For("alice@a.example", "x.y.z.example", "", Rcpt(450)).Text);
    }

    [Fact]
    public void a_senders_list_restricts_a_line_to_those_senders_and_an_empty_item_to_bounces()
    {
        var retry = Parse(
            "*  rcpt_4xx  senders=:  F,1h,30m",
            "a.example  rcpt_452  senders=\"xb.example : yc.example\"  G,8h,10m,1.5");
        Assert.Equal("*  rcpt_4xx  senders=:  F,1h,30m", retry.For("a@b.example", null, "", Rcpt(451)).Text);
        Assert.Same(retry.Fallback, retry.For("a@b.example", null, "someone@xb.example", Rcpt(451)));
        Assert.Equal(retry.Lines[1], retry.For("a@a.example", null, "someone@xb.example", Rcpt(452)));
        Assert.Same(retry.Fallback, retry.For("a@a.example", null, "someone@zz.example", Rcpt(452)));
    }

    [Fact]
    public void a_quoted_pattern_may_hold_white_space()
    {
        var line = RetryLine.Parse("\"^a b@example\\.com$\" * F,1h,5m");
        Assert.True(line.Pattern.Matches("a b@example.com"));
    }

    [Theory]
    [InlineData(RetryErrorKind.Refused, 0, true, "refused_MX")]
    [InlineData(RetryErrorKind.ConnectTimeout, 0, false, "timeout_connect_A")]
    [InlineData(RetryErrorKind.Timeout, 0, true, "timeout_MX")]
    [InlineData(RetryErrorKind.Rcpt, 451, false, "rcpt_451")]
    [InlineData(RetryErrorKind.Data, 452, false, "data_452")]
    [InlineData(RetryErrorKind.AuthFailed, 0, false, "auth_failed")]
    [InlineData(RetryErrorKind.Other, 0, false, "*")]
    public void the_history_names_an_error_as_exims_most_specific_retry_error(RetryErrorKind kind, int code, bool fromMx, string name) =>
        Assert.Equal(name, new RetryError(kind, code, fromMx).ToString());
}
