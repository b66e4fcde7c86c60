using Pipeline.Delivery.Protocol;

namespace Pipeline.Delivery.Tests.Sts;

/// <summary>RFC 8461 §3.2's policy format and §4.1's MX host matching, as <see cref="StsPolicy"/> reads them.</summary>
public class StsPolicyTests
{
    // The example of RFC 8461 §3.2, with the CRLF line ends it prescribes.
    private const string Example = "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmx: mx2.example.com\r\nmx: mx.backup-example.com\r\nmax_age: 1296000\r\n";

    [Fact]
    public void the_rfc_example_parses_into_its_mode_mx_patterns_and_max_age()
    {
        var policy = StsPolicy.Parse(Example);
        Assert.Equal(StsMode.Testing, policy.Mode);
        Assert.Equal(["mx1.example.com", "mx2.example.com", "mx.backup-example.com"], policy.Mx);
        Assert.Equal(TimeSpan.FromSeconds(1296000), policy.MaxAge);
        Assert.Equal(["version: STSv1", "mode: testing", "mx: mx1.example.com", "mx: mx2.example.com", "mx: mx.backup-example.com", "max_age: 1296000"],
            policy.Lines);
    }

    [Fact]
    public void lf_line_ends_blank_lines_spaces_after_the_colon_and_unknown_keys_are_accepted()
    {
        var policy = StsPolicy.Parse("version: STSv1\nmode:\tenforce\n\nmx:   *.Example.NET.\nmax_age: 86400  \nfuture_key: anything at all\n\n");
        Assert.Equal(StsMode.Enforce, policy.Mode);
        Assert.Equal(["*.example.net"], policy.Mx);
        Assert.Equal(TimeSpan.FromDays(1), policy.MaxAge);
    }

    [Fact]
    public void mode_none_needs_no_mx()
    {
        var policy = StsPolicy.Parse("version: STSv1\r\nmode: none\r\nmax_age: 0\r\n");
        Assert.Equal(StsMode.None, policy.Mode);
        Assert.Empty(policy.Mx);
        Assert.Equal(TimeSpan.Zero, policy.MaxAge);
    }

    [Fact]
    public void a_max_age_beyond_a_year_is_taken_as_a_year()
    {
        var policy = StsPolicy.Parse("version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 9999999999\n");
        Assert.Equal(TimeSpan.FromSeconds(31557600), policy.MaxAge);
    }

    [Theory]
    [InlineData("mode: enforce\nmx: mx.example.com\nmax_age: 86400", "no version")]
    [InlineData("version: STSv2\nmode: enforce\nmx: mx.example.com\nmax_age: 86400", "version 'STSv2' is not STSv1")]
    [InlineData("Version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400", "no version")]
    [InlineData("version: STSv1\nmx: mx.example.com\nmax_age: 86400", "no mode")]
    [InlineData("version: STSv1\nmode: Enforce\nmx: mx.example.com\nmax_age: 86400", "mode 'Enforce' is none of")]
    [InlineData("version: STSv1\nmode: enforce\nmx: mx.example.com", "no max_age")]
    [InlineData("version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: -1", "max_age '-1' is not a number")]
    [InlineData("version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 12345678901", "max_age '12345678901' is not a number")]
    [InlineData("version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 1d", "max_age '1d' is not a number")]
    [InlineData("version: STSv1\nmode: enforce\nmax_age: 86400", "names no mx")]
    [InlineData("version: STSv1\nmode: testing\nmax_age: 86400", "names no mx")]
    [InlineData("version: STSv1\nmode: enforce\nmode: testing\nmx: mx.example.com\nmax_age: 86400", "gives mode more than once")]
    [InlineData("version: STSv1\nmode: enforce\nmx: mx..example.com\nmax_age: 86400", "mx 'mx..example.com' is not a host name")]
    [InlineData("version: STSv1\nmode: enforce\nmx: mx.*.example.com\nmax_age: 86400", "is not a host name")]
    [InlineData("version: STSv1\nmode: enforce\nmx: *\nmax_age: 86400", "is not a host name")]
    [InlineData("version: STSv1\nmode: enforce\nmx: -mx.example.com\nmax_age: 86400", "is not a host name")]
    [InlineData("version: STSv1\nmode: enforce\nmx: mx_1.example.com\nmax_age: 86400", "is not a host name")]
    [InlineData("version: STSv1\nmode enforce\nmx: mx.example.com\nmax_age: 86400", "line 2, 'mode enforce', is not 'key: value'")]
    [InlineData("<html><body>Not found</body></html>", "is not 'key: value'")]
    [InlineData("", "no version")]
    public void a_malformed_policy_is_refused_with_the_reason(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => StsPolicy.Parse(text));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mx1.example.com", true)]
    [InlineData("MX1.Example.COM.", true)]
    [InlineData("mx3.example.com", false)]
    [InlineData("mx.backup-example.com", true)]
    [InlineData("example.com", false)]
    public void an_mx_host_matches_a_pattern_of_the_same_name(string host, bool allowed) =>
        Assert.Equal(allowed, StsPolicy.Parse(Example).AllowsMx(host));

    // §4.1: "*.example.com" matches "mx1.example.com" but not "example.com" nor "a.mx1.example.com".
    [Theory]
    [InlineData("mx1.example.com", true)]
    [InlineData("Mail.EXAMPLE.com.", true)]
    [InlineData("example.com", false)]
    [InlineData("a.mx1.example.com", false)]
    [InlineData("mx1.example.com.evil.test", false)]
    [InlineData("mx1.notexample.com", false)]
    [InlineData(".example.com", false)]
    public void a_wildcard_matches_exactly_one_leftmost_label(string host, bool allowed)
    {
        var policy = StsPolicy.Parse("version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 86400\n");
        Assert.Equal(allowed, policy.AllowsMx(host));
    }
}
