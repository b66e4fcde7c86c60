using System.Text.Json;
using Pipeline.Contracts.Events;
using Pipeline.Policy.Dkim;
using Pipeline.Policy.Dmarc;
using Pipeline.Policy.Spf;
using Pipeline.Policy.Tests.Conformance;

namespace Pipeline.Policy.Tests.Dmarc;

/// <summary>
/// The DMARC evaluation kept in <c>msg:received</c> (<see cref="DmarcEvaluationRecord"/>): what
/// the aggregate report's <c>policy_published</c>, <c>policy_evaluated</c> and <c>auth_results</c>
/// (RFC 7489 appendix C) and the failure reports (§7.3, §7.1) are made of. Each message is
/// authenticated as policy does at the end of data: the real evaluator over a zone holding the
/// records, then the record.
/// </summary>
public class DmarcEvaluationRecordTests
{
    private static SuiteZone Zone(params (string Name, string Txt)[] records) =>
        new(JsonSerializer.SerializeToElement(records.ToDictionary(r => r.Name, r => new[] { new { type = "TXT", strings = new[] { r.Txt } } })));

    // As PolicyContext does: the SPF identity is the sender, or postmaster@ the HELO name for the null sender.
    private static async Task<DmarcEvaluation?> RecordAsync(SuiteZone zone, string? from, SpfResult spf, string? sender, string helo = "client.example.org",
        IReadOnlyList<DkimSignatureOutcome>? dkim = null, bool forensic = false, int percentile = 50)
    {
        dkim ??= [];
        var evaluator = new DmarcEvaluator(zone, TestData.Suffixes, () => percentile);
        var identity = string.IsNullOrEmpty(sender) ? $"postmaster@{helo}" : sender;
        var outcome = from is null
            ? null
            : await evaluator.EvaluateAsync(from, spf, identity[(identity.LastIndexOf('@') + 1)..],
                dkim.Select(d => new DkimSignatureResult(d.Passed, d.Domain, d.Selector)).ToList(), CancellationToken.None);
        return DmarcEvaluationRecord.Of(new MessageAuthentication(spf, identity, dkim, from, outcome, DmarcOff: false), sender, evaluator, forensic);
    }

    [Fact]
    public async Task a_passing_message_keeps_the_published_policy_and_every_mechanism_with_its_alignment()
    {
        var zone = Zone(("_dmarc.example.com",
            "v=DMARC1; p=reject; sp=quarantine; pct=50; adkim=r; aspf=s; fo=1:d; ri=3600; rua=mailto:agg@example.com; ruf=mailto:fail@example.com"));
        DkimSignatureOutcome[] dkim =
        [
            new("pass", "mail.example.com", "s1"), new("fail", "example.com", "s2", "body hash"), new("pass", "other.example", "s3"),
        ];

        var record = await RecordAsync(zone, "example.com", SpfResult.Pass, "bounce@Mail.Example.COM", dkim: dkim);

        Assert.NotNull(record);
        Assert.Equal(("example.com", "example.com", "example.com"), (record.HeaderFrom, record.PolicyDomain, record.OrganizationalDomain));
        Assert.Equal(("reject", "quarantine", 50, false, true), (record.Policy, record.SubdomainPolicy, record.Percent, record.StrictDkim, record.StrictSpf));
        Assert.Equal(("pass", "reject", "none"), (record.Result, record.AppliedPolicy, record.Disposition));
        // Relaxed DKIM: the subdomain's passing signature is aligned; the failing one for the From
        // domain itself is not (alignment needs a pass), nor is the foreign one.
        Assert.Equal(
            [
                new DmarcDkimResult("mail.example.com", "s1", "pass", true), new DmarcDkimResult("example.com", "s2", "fail", false),
                new DmarcDkimResult("other.example", "s3", "pass", false),
            ],
            record.Dkim);
        // Strict SPF: a pass for a subdomain of the From domain is not aligned.
        Assert.Equal(new DmarcSpfResult("mail.example.com", "mfrom", "pass", false), record.Spf);
        Assert.Equal(("1:d", 3600L), (record.FailureOptions, record.ReportInterval));
        Assert.Equal([new DmarcReportUri("mailto:agg@example.com", false)], record.Rua);
        Assert.Equal([new DmarcReportUri("mailto:fail@example.com", false)], record.Ruf);
    }

    [Theory]
    // From domain, pct, the draw, applied policy, disposition: a subdomain without a record of its
    // own gets the Organizational Domain's sp=; a message pct= does not sample gets the next lower
    // policy (§6.6.4), the applied policy staying what the record says.
    [InlineData("example.com", 100, 99, "reject", "reject")]
    [InlineData("news.example.com", 100, 99, "quarantine", "quarantine")]
    [InlineData("example.com", 30, 29, "reject", "reject")]
    [InlineData("example.com", 30, 30, "reject", "quarantine")]
    [InlineData("news.example.com", 0, 0, "quarantine", "none")]
    public async Task a_failing_message_keeps_the_policy_that_applied_and_the_disposition_after_sampling(string from, int pct, int draw,
        string applied, string disposition)
    {
        var zone = Zone(("_dmarc.example.com", $"v=DMARC1; p=reject; sp=quarantine; pct={pct}"));

        var record = await RecordAsync(zone, from, SpfResult.Fail, $"someone@{from}", percentile: draw);

        Assert.NotNull(record);
        Assert.Equal((from, "example.com", "example.com"), (record.HeaderFrom, record.PolicyDomain, record.OrganizationalDomain));
        Assert.Equal(("reject", "quarantine", pct), (record.Policy, record.SubdomainPolicy, record.Percent));
        Assert.Equal(("fail", applied, disposition), (record.Result, record.AppliedPolicy, record.Disposition));
        Assert.Equal(new DmarcSpfResult(from, "mfrom", "fail", false), record.Spf);
        Assert.Empty(record.Dkim);
        // The record's defaults, written as the report publishes them.
        Assert.Equal(("0", 86400L, false, false), (record.FailureOptions, record.ReportInterval, record.StrictDkim, record.StrictSpf));
    }

    [Fact]
    public async Task a_record_without_sp_publishes_p_for_subdomains()
    {
        var record = await RecordAsync(Zone(("_dmarc.example.com", "v=DMARC1; p=quarantine")), "news.example.com", SpfResult.Fail, "a@news.example.com");

        Assert.Equal(("quarantine", "quarantine", "quarantine"), (record!.Policy, record.SubdomainPolicy, record.AppliedPolicy));
    }

    [Theory]
    // adkim, the signature's d=, its result, aligned
    [InlineData("r", "mail.example.com", "pass", true)]
    [InlineData("s", "mail.example.com", "pass", false)]
    [InlineData("s", "example.com", "pass", true)]
    [InlineData("s", "EXAMPLE.COM.", "pass", true)]
    [InlineData("r", "example.com", "fail", false)]
    [InlineData("r", "example.com", "permerror", false)]
    [InlineData("r", "example.net", "pass", false)]
    public async Task a_dkim_signature_is_aligned_when_it_passed_for_the_from_domain_in_the_records_mode(string adkim, string domain, string result,
        bool aligned)
    {
        var zone = Zone(("_dmarc.example.com", $"v=DMARC1; p=reject; adkim={adkim}"));

        var record = await RecordAsync(zone, "example.com", SpfResult.Fail, "a@example.org", dkim: [new(result, domain, "sel")]);

        Assert.Equal([new DmarcDkimResult(domain, "sel", result, aligned)], record!.Dkim);
        Assert.Equal(aligned ? "pass" : "fail", record.Result);
        Assert.Equal(adkim == "s", record.StrictDkim);
    }

    [Theory]
    // aspf, the sender (empty: the null sender, whose SPF identity is the HELO name), the HELO name, SPF's result, domain, scope, aligned
    [InlineData("r", "bounce@mail.example.com", "client.example.org", SpfResult.Pass, "mail.example.com", "mfrom", true)]
    [InlineData("s", "bounce@mail.example.com", "client.example.org", SpfResult.Pass, "mail.example.com", "mfrom", false)]
    [InlineData("s", "bounce@EXAMPLE.COM", "client.example.org", SpfResult.Pass, "example.com", "mfrom", true)]
    [InlineData("r", "bounce@example.com", "client.example.org", SpfResult.SoftFail, "example.com", "mfrom", false)]
    [InlineData("r", "", "MX.Example.COM", SpfResult.Pass, "mx.example.com", "helo", true)]
    [InlineData("r", "", "mx.example.org", SpfResult.Pass, "mx.example.org", "helo", false)]
    public async Task spf_keeps_the_domain_it_checked_its_scope_and_its_alignment(string aspf, string sender, string helo, SpfResult spf, string domain,
        string scope, bool aligned)
    {
        var zone = Zone(("_dmarc.example.com", $"v=DMARC1; p=none; aspf={aspf}"));

        var record = await RecordAsync(zone, "example.com", spf, sender, helo);

        Assert.Equal(new DmarcSpfResult(domain, scope, spf.Name(), aligned), record!.Spf);
        Assert.Equal(aligned ? "pass" : "fail", record.Result);
    }

    [Fact]
    public async Task a_null_sender_counts_as_empty_or_null()
    {
        var zone = Zone(("_dmarc.example.com", "v=DMARC1; p=none"));

        var empty = await RecordAsync(zone, "example.com", SpfResult.Pass, "", "mx.example.com");
        var none = await RecordAsync(zone, "example.com", SpfResult.Pass, null, "mx.example.com");

        Assert.Equal(new DmarcSpfResult("mx.example.com", "helo", "pass", true), empty!.Spf);
        Assert.Equal(empty.Spf, none!.Spf);
    }

    [Fact]
    public async Task reporting_uris_in_another_organizational_domain_are_external()
    {
        var zone = Zone(("_dmarc.example.com",
            "v=DMARC1; p=none; rua=mailto:a@example.com,mailto:b@Reports.Example.COM!10m,mailto:c@dmarc.thirdparty.example.net,https://example.com/dmarc; " +
            "ruf=mailto:f@forensics.example.net!1m,mailto:g@mail.example.com"));

        var record = await RecordAsync(zone, "example.com", SpfResult.Pass, "a@example.com");

        // The URIs as published (size limits included), so that the reports can honour the limits.
        Assert.Equal(
            [
                new DmarcReportUri("mailto:a@example.com", false), new DmarcReportUri("mailto:b@Reports.Example.COM!10m", false),
                new DmarcReportUri("mailto:c@dmarc.thirdparty.example.net", true), new DmarcReportUri("https://example.com/dmarc", true),
            ],
            record!.Rua);
        Assert.Equal([new DmarcReportUri("mailto:f@forensics.example.net!1m", true), new DmarcReportUri("mailto:g@mail.example.com", false)], record.Ruf);
    }

    [Fact]
    public async Task the_policy_domains_organizational_domain_decides_what_is_external_under_a_multi_label_suffix()
    {
        // The From domain publishes its own record; its Organizational Domain is example.co.uk,
        // and co.uk, a public suffix, is nobody's.
        var zone = Zone(("_dmarc.mail.example.co.uk", "v=DMARC1; p=none; rua=mailto:x@example.co.uk,mailto:y@reports.other.co.uk,mailto:z@co.uk"));

        var record = await RecordAsync(zone, "mail.example.co.uk", SpfResult.Pass, "a@mail.example.co.uk");

        Assert.Equal(("mail.example.co.uk", "mail.example.co.uk", "example.co.uk"), (record!.HeaderFrom, record.PolicyDomain, record.OrganizationalDomain));
        Assert.Equal([false, true, true], record.Rua.Select(u => u.External));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task failure_reports_are_enabled_only_by_the_rules_control(bool forensic)
    {
        var zone = Zone(("_dmarc.example.com", "v=DMARC1; p=reject; fo=1; ruf=mailto:f@example.com"));

        var record = await RecordAsync(zone, "example.com", SpfResult.Fail, "a@example.com", forensic: forensic);

        Assert.Equal(forensic, record!.ForensicEnabled);
        Assert.Equal(("fail", "1"), (record.Result, record.FailureOptions));
        Assert.Equal([new DmarcReportUri("mailto:f@example.com", false)], record.Ruf);
    }

    [Fact]
    public async Task a_message_dmarc_did_not_apply_to_is_in_no_report()
    {
        // No record anywhere; two records (§6.6.3: none applies); a temporary error; no single From.
        Assert.Null(await RecordAsync(Zone(), "example.com", SpfResult.Pass, "a@example.com"));
        var two = new SuiteZone(JsonDocument.Parse("""
            { "_dmarc.example.com": [ { "type": "TXT", "strings": [ "v=DMARC1; p=reject" ] }, { "type": "TXT", "strings": [ "v=DMARC1; p=none" ] } ] }
            """).RootElement);
        Assert.Null(await RecordAsync(two, "example.com", SpfResult.Fail, "a@example.com"));
        var timeout = new SuiteZone(JsonDocument.Parse("""{ "_dmarc.example.com": [ { "type": "TIMEOUT" } ] }""").RootElement);
        Assert.Null(await RecordAsync(timeout, "example.com", SpfResult.Fail, "a@example.com"));
        Assert.Null(await RecordAsync(Zone(("_dmarc.example.com", "v=DMARC1; p=reject")), null, SpfResult.Fail, "a@example.com"));
    }

    [Fact]
    public async Task dmarc_turned_off_by_the_rules_is_in_no_report()
    {
        var evaluator = new DmarcEvaluator(Zone(("_dmarc.example.com", "v=DMARC1; p=reject")), TestData.Suffixes);
        var off = new MessageAuthentication(SpfResult.Fail, "a@example.com", [], "example.com", null, DmarcOff: true);

        Assert.Null(DmarcEvaluationRecord.Of(off, "a@example.com", evaluator, forensicEnabled: true));
    }
}
