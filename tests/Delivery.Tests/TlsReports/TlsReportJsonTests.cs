using System.IO.Compression;
using System.Text.Json;
using Pipeline.Delivery.TlsReports;

namespace Pipeline.Delivery.Tests.TlsReports;

/// <summary>RFC 8460 §4.4's JSON, as <see cref="TlsReportJson"/> writes it, checked against the RFC's example report.</summary>
public class TlsReportJsonTests
{
    // The example of RFC 8460 §4.4 (its optional additional-information and failure-reason-code left out).
    private static readonly TlsReport Example = new(
        "Company-X",
        new DateTimeOffset(2016, 4, 1, 0, 0, 0, TimeSpan.Zero),
        new DateTimeOffset(2016, 4, 2, 0, 0, 0, TimeSpan.Zero),
        "sts-reporting@company-x.example",
        "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
        "company-y.example",
        [
            new TlsReportPolicyResult("sts", ["version: STSv1", "mode: testing", "mx: *.mail.company-y.example", "max_age: 86400"],
                "company-y.example", ["*.mail.company-y.example"], 5326, 303,
                [
                    new TlsFailureDetail("certificate-expired", "2001:db8:abcd:0012::1", "mx1.mail.company-y.example", null, 100),
                    new TlsFailureDetail("starttls-not-supported", "2001:db8:abcd:0013::1", "mx2.mail.company-y.example", "203.0.113.56", 200),
                    new TlsFailureDetail("validation-failure", "198.51.100.62", "mx-backup.mail.company-y.example", "203.0.113.58", 3),
                ]),
        ]);

    private static JsonElement Parse(byte[] json) => JsonDocument.Parse(json).RootElement;

    [Fact]
    public void the_rfc_example_comes_out_field_by_field()
    {
        var root = Parse(TlsReportJson.Write(Example));
        Assert.Equal(["organization-name", "date-range", "contact-info", "report-id", "policies"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Company-X", root.GetProperty("organization-name").GetString());
        Assert.Equal("2016-04-01T00:00:00Z", root.GetProperty("date-range").GetProperty("start-datetime").GetString());
        Assert.Equal("2016-04-01T23:59:59Z", root.GetProperty("date-range").GetProperty("end-datetime").GetString());
        Assert.Equal("sts-reporting@company-x.example", root.GetProperty("contact-info").GetString());
        Assert.Equal("5065427c-23d3-47ca-b6e0-946ea0e8c4be", root.GetProperty("report-id").GetString());

        var policy = Assert.Single(root.GetProperty("policies").EnumerateArray());
        Assert.Equal(["policy", "summary", "failure-details"], policy.EnumerateObject().Select(p => p.Name));
        var applied = policy.GetProperty("policy");
        Assert.Equal("sts", applied.GetProperty("policy-type").GetString());
        Assert.Equal(["version: STSv1", "mode: testing", "mx: *.mail.company-y.example", "max_age: 86400"],
            applied.GetProperty("policy-string").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("company-y.example", applied.GetProperty("policy-domain").GetString());
        // An array of strings, as errata 6241 corrects the example's single string.
        Assert.Equal(["*.mail.company-y.example"], applied.GetProperty("mx-host").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(5326, policy.GetProperty("summary").GetProperty("total-successful-session-count").GetInt64());
        Assert.Equal(303, policy.GetProperty("summary").GetProperty("total-failure-session-count").GetInt64());

        var failures = policy.GetProperty("failure-details").EnumerateArray().ToList();
        Assert.Equal(3, failures.Count);
        Assert.Equal("certificate-expired", failures[0].GetProperty("result-type").GetString());
        Assert.Equal("2001:db8:abcd:0012::1", failures[0].GetProperty("sending-mta-ip").GetString());
        Assert.Equal("mx1.mail.company-y.example", failures[0].GetProperty("receiving-mx-hostname").GetString());
        Assert.False(failures[0].TryGetProperty("receiving-ip", out _));
        Assert.Equal(100, failures[0].GetProperty("failed-session-count").GetInt64());
        Assert.Equal("starttls-not-supported", failures[1].GetProperty("result-type").GetString());
        Assert.Equal("203.0.113.56", failures[1].GetProperty("receiving-ip").GetString());
        Assert.Equal(200, failures[1].GetProperty("failed-session-count").GetInt64());
        Assert.Equal("validation-failure", failures[2].GetProperty("result-type").GetString());
        Assert.Equal(3, failures[2].GetProperty("failed-session-count").GetInt64());
    }

    [Fact]
    public void counts_are_json_integers_and_dates_are_rfc_3339_utc()
    {
        var root = Parse(TlsReportJson.Write(Example with { Begin = new DateTimeOffset(2016, 4, 1, 2, 0, 0, TimeSpan.FromHours(2)) }));
        Assert.Equal("2016-04-01T00:00:00Z", root.GetProperty("date-range").GetProperty("start-datetime").GetString());
        var summary = root.GetProperty("policies")[0].GetProperty("summary");
        Assert.Equal(JsonValueKind.Number, summary.GetProperty("total-successful-session-count").ValueKind);
        Assert.Equal("5326", summary.GetProperty("total-successful-session-count").GetRawText());
    }

    [Fact]
    public void a_policy_with_no_mx_host_leaves_the_field_out_and_keeps_an_empty_policy_string()
    {
        var report = Example with
        {
            Policies = [new TlsReportPolicyResult("no-policy-found", [], "company-y.example", [], 1, 0, [])],
        };
        var applied = Parse(TlsReportJson.Write(report)).GetProperty("policies")[0].GetProperty("policy");
        Assert.False(applied.TryGetProperty("mx-host", out _));
        Assert.Equal(0, applied.GetProperty("policy-string").GetArrayLength());
        Assert.Equal(0, Parse(TlsReportJson.Write(report)).GetProperty("policies")[0].GetProperty("failure-details").GetArrayLength());
    }

    [Fact]
    public void the_gzipped_report_unzips_to_the_json()
    {
        using var gzip = new GZipStream(new MemoryStream(TlsReportJson.WriteGzip(Example)), CompressionMode.Decompress);
        using var json = new MemoryStream();
        gzip.CopyTo(json);
        Assert.Equal(TlsReportJson.Write(Example), json.ToArray());
    }
}
