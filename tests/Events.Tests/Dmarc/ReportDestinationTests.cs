using Pipeline.Contracts.Events;
using Pipeline.Events.Dmarc;
using Pipeline.Infrastructure.Dns;
using static Pipeline.Events.Tests.Dmarc.DmarcSamples;

namespace Pipeline.Events.Tests.Dmarc;

public class ReportDestinationTests
{
    [Theory]
    [InlineData("mailto:rua@example.com", "rua@example.com", null)]
    [InlineData("mailto:rua@example.com!10m", "rua@example.com", 10L * 1024 * 1024)]
    [InlineData("mailto:rua@example.com!512k", "rua@example.com", 512L * 1024)]
    [InlineData("mailto:rua@example.com!2000", "rua@example.com", 2000L)]
    [InlineData("mailto:d%40mail@example.com", "d@mail@example.com", null)]
    public void a_mailto_uri_gives_its_address_and_size_limit(string uri, string address, long? limit)
    {
        var destination = ReportDestination.Parse(new DmarcReportUri(uri, false));
        if (address.Count(c => c == '@') > 1)
        {
            Assert.Null(destination);
            return;
        }

        Assert.NotNull(destination);
        Assert.Equal((address, limit), (destination.Address, destination.MaxSize));
    }

    [Theory]
    [InlineData("https://example.com/dmarc")]
    [InlineData("mailto:nobody")]
    [InlineData("mailto:rua@example.com!10x")]
    [InlineData("mailto:rua@example.com!")]
    public void other_uris_are_no_destination(string uri) => Assert.Null(ReportDestination.Parse(new DmarcReportUri(uri, false)));

    [Fact]
    public async Task a_destination_whose_limit_the_report_exceeds_is_skipped()
    {
        var uris = new[] { new DmarcReportUri("mailto:small@example.com!1k", false), new DmarcReportUri("mailto:big@example.com!1m", false) };
        var accepting = await ReportDestination.AcceptingAsync(uris, "example.com", 5000, new TxtZone(), CancellationToken.None);
        Assert.Equal(["big@example.com"], accepting.Select(a => a.Address));
        Assert.Equal(2, (await ReportDestination.AcceptingAsync(uris, "example.com", 1024, new TxtZone(), CancellationToken.None)).Count);
    }

    [Fact]
    public async Task an_external_destination_gets_reports_only_when_its_domain_agrees_in_dns()
    {
        var zone = new TxtZone();
        zone.Txt["example.com._report._dmarc.agrees.example"] = new DnsResult<string>(DnsStatus.Found, ["v=DMARC1"], false);
        zone.Txt["example.com._report._dmarc.other.example"] = new DnsResult<string>(DnsStatus.Found, ["v=spf1 -all"], false);
        zone.Txt["example.com._report._dmarc.broken.example"] = new DnsResult<string>(DnsStatus.TemporaryFailure, [], false);
        var uris = new[]
        {
            new DmarcReportUri("mailto:a@agrees.example", true), new DmarcReportUri("mailto:b@other.example", true),
            new DmarcReportUri("mailto:c@broken.example", true), new DmarcReportUri("mailto:d@silent.example", true),
            new DmarcReportUri("mailto:e@mail.example.com", false),
        };
        var accepting = await ReportDestination.AcceptingAsync(uris, "example.com", 100, zone, CancellationToken.None);
        Assert.Equal(["a@agrees.example", "e@mail.example.com"], accepting.Select(a => a.Address));
        Assert.DoesNotContain("example.com._report._dmarc.mail.example.com", zone.Asked);
    }
}

public class FailureOptionsTests
{
    [Theory]
    // fo, SPF aligned, DKIM aligned, DKIM result, SPF result, due
    [InlineData("0", false, false, "fail", "fail", true)]
    [InlineData("0", true, false, "fail", "pass", false)]
    [InlineData("1", true, false, "fail", "pass", true)]
    [InlineData("1", true, true, "pass", "pass", false)]
    [InlineData("d", true, false, "fail", "pass", true)]
    [InlineData("d", true, true, "pass", "pass", false)]
    [InlineData("s", false, true, "pass", "fail", true)]
    [InlineData("s", false, true, "pass", "softfail", false)]
    [InlineData("0:s", true, false, "pass", "pass", false)]
    [InlineData("0:d", true, false, "permerror", "pass", true)]
    public void fo_decides_which_failures_are_reported(string fo, bool spfAligned, bool dkimAligned, string dkimResult, string spfResult, bool due)
    {
        var evaluation = Evaluation(fo: fo) with
        {
            Dkim = [new DmarcDkimResult("example.com", "s1", dkimResult, dkimAligned)],
            Spf = new DmarcSpfResult("example.com", "mfrom", spfResult, spfAligned),
        };
        Assert.Equal(due, FailureOptions.Wants(evaluation));
    }

    [Fact]
    public void a_message_without_any_dkim_signature_has_no_aligned_dkim_pass_for_fo_1() =>
        Assert.True(FailureOptions.Wants(Evaluation(fo: "1", spfAligned: true, dkimAligned: false)));

    [Fact]
    public void without_control_dmarc_enable_forensic_no_failure_report_is_due()
    {
        var received = new MessageReceived("id", "c", "a@example.com", [Recipient.Parse("b@example.net")], 10, "192.0.2.1", 25, null, "esmtp", "", 25,
            DateTimeOffset.UnixEpoch, Dmarc: Evaluation(fo: "1", spfAligned: false, result: "fail") with
            {
                Ruf = [new DmarcReportUri("mailto:ruf@example.com", false)],
            });
        Assert.True(FailureReporter.Due(received));
        Assert.False(FailureReporter.Due(received with { Dmarc = received.Dmarc! with { ForensicEnabled = false } }));
        Assert.False(FailureReporter.Due(received with { Dmarc = received.Dmarc! with { Ruf = [] } }));
    }
}
