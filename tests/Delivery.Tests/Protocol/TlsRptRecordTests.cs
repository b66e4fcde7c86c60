using Pipeline.Delivery.Protocol;

namespace Pipeline.Delivery.Tests.Protocol;

/// <summary>RFC 8460 §3's TXT record, <c>v=TLSRPTv1; rua=...</c>, as <see cref="TlsRptRecord"/> reads it.</summary>
public class TlsRptRecordTests
{
    [Fact]
    public void the_rfc_examples_give_their_report_addresses()
    {
        // RFC 8460 §3.1.
        Assert.Equal([new Uri("mailto:reports@example.com")], TlsRptRecord.Parse("v=TLSRPTv1;rua=mailto:reports@example.com", out _)!.Rua);
        Assert.Equal([new Uri("https://reporting.example.com/v1/tlsrpt")],
            TlsRptRecord.Parse("v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt", out _)!.Rua);
    }

    [Fact]
    public void several_addresses_keep_their_order_whatever_the_white_space()
    {
        var record = TlsRptRecord.Parse("v=TLSRPTv1 ;\trua=mailto:a@example.com , https://r.example.com/x ,mailto:b@example.com;", out var error);
        Assert.Null(error);
        Assert.Equal(["mailto:a@example.com", "https://r.example.com/x", "mailto:b@example.com"], record!.Rua.Select(u => u.OriginalString));
    }

    [Fact]
    public void unknown_extension_fields_are_ignored()
    {
        Assert.Single(TlsRptRecord.Parse("v=TLSRPTv1; ext_1.a-b=value!; rua=mailto:r@example.com", out _)!.Rua);
    }

    [Theory]
    [InlineData("v=TLSRPTv2; rua=mailto:r@example.com", TlsRptRecordError.NotTlsRpt)]
    [InlineData("rua=mailto:r@example.com; v=TLSRPTv1", TlsRptRecordError.NotTlsRpt)]
    [InlineData("V=tlsrptv1; rua=mailto:r@example.com", TlsRptRecordError.NotTlsRpt)]
    [InlineData("v=TLSRPTv1", TlsRptRecordError.MissingRua)]
    [InlineData("v=TLSRPTv1;", TlsRptRecordError.MissingRua)]
    [InlineData("v=TLSRPTv1; ext=1", TlsRptRecordError.MissingRua)]
    [InlineData("v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", TlsRptRecordError.DuplicateRua)]
    [InlineData("v=TLSRPTv1; rua=", TlsRptRecordError.BadRua)]
    [InlineData("v=TLSRPTv1; rua=mailto:a@example.com,", TlsRptRecordError.BadRua)]
    [InlineData("v=TLSRPTv1; rua=http://r.example.com/", TlsRptRecordError.BadRua)]
    [InlineData("v=TLSRPTv1; rua=ftp://r.example.com/", TlsRptRecordError.BadRua)]
    [InlineData("v=TLSRPTv1; rua=mailto:", TlsRptRecordError.BadRua)]
    [InlineData("v=TLSRPTv1; rua=reports@example.com", TlsRptRecordError.BadRua)]
    [InlineData("v=TLSRPTv1; rua=mailto:r@example.com; noequals", TlsRptRecordError.MalformedField)]
    [InlineData("v=TLSRPTv1; ; rua=mailto:r@example.com", TlsRptRecordError.MalformedField)]
    [InlineData("v=TLSRPTv1; =x; rua=mailto:r@example.com", TlsRptRecordError.MalformedField)]
    [InlineData("v=TLSRPTv1; _ext=x; rua=mailto:r@example.com", TlsRptRecordError.MalformedField)]
    [InlineData("v=TLSRPTv1; ext=a=b; rua=mailto:r@example.com", TlsRptRecordError.MalformedField)]
    [InlineData("v=TLSRPTv1; ext=; rua=mailto:r@example.com", TlsRptRecordError.MalformedField)]
    public void a_record_that_breaks_the_grammar_is_refused_with_its_reason(string text, TlsRptRecordError expected)
    {
        Assert.Null(TlsRptRecord.Parse(text, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void other_txt_records_at_the_name_are_discarded_and_exactly_one_must_remain()
    {
        // §3: records not starting with v=TLSRPTv1 are discarded; not exactly one left: no TLSRPT.
        Assert.NotNull(TlsRptRecord.Select(["some-verification=abc", "v=TLSRPTv1; rua=mailto:r@example.com"], out _));
        Assert.Null(TlsRptRecord.Select(["v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1; rua=mailto:b@example.com"], out var two));
        Assert.Equal(TlsRptRecordError.NotExactlyOne, two);
        Assert.Null(TlsRptRecord.Select(["some-verification=abc"], out var none));
        Assert.Equal(TlsRptRecordError.NotExactlyOne, none);
    }

    [Fact]
    public void the_policy_lives_under_smtp_tls()
    {
        Assert.Equal("_smtp._tls.example.com", TlsRptRecord.NameFor("example.com."));
    }
}
