using System.IO.Compression;
using System.Text;
using System.Xml.Linq;
using Pipeline.Events.Dmarc;
using static Pipeline.Events.Tests.Dmarc.DmarcSamples;

namespace Pipeline.Events.Tests.Dmarc;

public class AggregateReportTests
{
    private static AggregateReport Report() => AggregateReport.Build("example.com", Day,
    [
        Message("192.0.2.25", Evaluation()),
        Message("192.0.2.25", Evaluation()),
        Message("2001:db8::66", Evaluation(spfAligned: false, disposition: "reject", policy: "reject", result: "fail")),
        Message("192.0.2.25", Evaluation(spfAligned: false, dkimAligned: true)),
        Message("::ffff:198.51.100.7", Evaluation(spfAligned: false, disposition: "none", policy: "reject", result: "fail")),
    ])!;

    [Fact]
    public void messages_alike_are_counted_in_one_record_and_different_ones_apart()
    {
        var report = Report();
        Assert.Equal(5, report.Messages);
        Assert.Equal(4, report.Records.Count);
        var first = report.Records[0];
        Assert.Equal(("192.0.2.25", 2, true, false), (first.SourceIp, first.Count, first.SpfPass, first.DkimPass));
        Assert.Contains(report.Records, r => r.SourceIp == "192.0.2.25" && r.Count == 1 && r.DkimPass && !r.SpfPass);
    }

    [Fact]
    public void ipv6_is_written_in_eight_groups_and_v4_mapped_as_ipv4()
    {
        var report = Report();
        Assert.Contains(report.Records, r => r.SourceIp == "2001:db8:0:0:0:0:0:66");
        Assert.Contains(report.Records, r => r.SourceIp == "198.51.100.7");
        Assert.Null(AggregateReport.SourceIp(""));
    }

    [Fact]
    public void a_failure_whose_disposition_pct_lowered_is_reported_as_sampled_out()
    {
        var sampled = Assert.Single(Report().Records, r => r.SourceIp == "198.51.100.7");
        Assert.True(sampled.SampledOut);
        Assert.False(Assert.Single(Report().Records, r => r.SourceIp.StartsWith("2001", StringComparison.Ordinal)).SampledOut);
    }

    [Fact]
    public void the_xml_validates_against_the_appendix_c_schema()
    {
        var xml = AggregateReportXml.Write(Report(), Options);
        Assert.Empty(SchemaErrors(xml));
        var document = XDocument.Parse(xml);
        Assert.Equal(4, document.Root!.Elements("record").Count());
        Assert.Equal("1699920000", document.Root.Element("report_metadata")!.Element("date_range")!.Element("begin")!.Value);
        Assert.Equal("1700006399", document.Root.Element("report_metadata")!.Element("date_range")!.Element("end")!.Value);
        Assert.Equal("https://example.net/dmarc", document.Root.Element("report_metadata")!.Element("extra_contact_info")!.Value);
    }

    [Fact]
    public void a_record_with_an_element_out_of_the_schema_fails_validation()
    {
        var xml = AggregateReportXml.Write(Report(), Options).Replace("<disposition>none</disposition>", "<disposition>maybe</disposition>", StringComparison.Ordinal);
        Assert.NotEmpty(SchemaErrors(xml));
    }

    [Fact]
    public void the_attachment_is_gzip_named_as_section_7_2_1_1_says()
    {
        var report = Report();
        var xml = AggregateReportXml.Write(report, Options);
        using var gzip = new GZipStream(new MemoryStream(AggregateReportXml.Gzip(xml)), CompressionMode.Decompress);
        using var text = new StreamReader(gzip, Encoding.UTF8);
        Assert.Equal(xml, text.ReadToEnd());
        Assert.Matches(@"^example\.net!example\.com!1699920000!1700006399![0-9a-f]{16}\.xml\.gz$", AggregateReportXml.FileName(report, Options));
        Assert.Equal($"Report Domain: example.com Submitter: example.net Report-ID: <{report.ReportId}>", AggregateReportXml.Subject(report, Options));
    }

    [Fact]
    public void the_report_id_depends_only_on_the_domain_and_the_period()
    {
        Assert.Equal(AggregateReport.ReportIdFor("example.com", Day), AggregateReport.ReportIdFor("EXAMPLE.com", Day));
        Assert.NotEqual(AggregateReport.ReportIdFor("example.com", Day), AggregateReport.ReportIdFor("example.org", Day));
        Assert.NotEqual(AggregateReport.ReportIdFor("example.com", Day),
            AggregateReport.ReportIdFor("example.com", new ReportPeriod(Day.End, Day.End.AddDays(1))));
    }

    [Fact]
    public void periods_are_aligned_and_a_longer_ri_is_rounded_up_to_a_multiple_of_the_interval()
    {
        var period = ReportPeriod.Containing(DateTimeOffset.FromUnixTimeSeconds(1699920000 + 3600), TimeSpan.FromDays(1));
        Assert.Equal(Day, period);
        Assert.Equal(TimeSpan.FromDays(1), ReportPeriod.IntervalFor(TimeSpan.FromDays(1), 3600));
        Assert.Equal(TimeSpan.FromHours(4), ReportPeriod.IntervalFor(TimeSpan.FromHours(1), 3 * 3600 + 1));
    }

    [Fact]
    public void no_messages_make_no_report() => Assert.Null(AggregateReport.Build("example.com", Day, []));
}
