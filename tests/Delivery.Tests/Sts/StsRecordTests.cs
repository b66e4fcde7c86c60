using Pipeline.Delivery.Protocol;

namespace Pipeline.Delivery.Tests.Sts;

/// <summary>RFC 8461 §3.1's <c>_mta-sts</c> TXT record, as <see cref="StsRecord"/> picks and reads it.</summary>
public class StsRecordTests
{
    [Theory]
    [InlineData("v=STSv1; id=20160831085700Z;", "20160831085700Z")]
    [InlineData("v=STSv1;id=abc", "abc")]
    [InlineData("v=STSv1; \tid=abc \t;", "abc")]
    [InlineData("v=STSv1; ext=value; id=x1", "x1")]
    [InlineData("v=STSv1; id=0123456789abcdef0123456789ABCDEF", "0123456789abcdef0123456789ABCDEF")]
    public void a_record_gives_its_id(string text, string id) => Assert.Equal(id, StsRecord.Parse(text).Id);

    [Theory]
    [InlineData("v=STSv1;", "no field after its version")]
    [InlineData("v=STSv1; ext=1", "has no id")]
    [InlineData("v=STSv1; id=", "is not a field")]
    [InlineData("v=STSv1; id=2016-08-31", "is not 1 to 32 letters and digits")]
    [InlineData("v=STSv1; id=0123456789abcdef0123456789ABCDEFG", "is not 1 to 32 letters and digits")]
    [InlineData("v=STSv1; id=a; id=b", "more than one id")]
    [InlineData("v=STSv1; id=a;; x=1", "is not a field")]
    [InlineData("v=STSv1; id=a b", "is not a field")]
    [InlineData("v=STSv1; id=a; =b", "is not a field")]
    [InlineData("v=STSv2; id=a", "does not begin with v=STSv1")]
    public void a_malformed_record_is_refused_with_the_reason(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => StsRecord.Parse(text));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void records_that_do_not_begin_with_the_version_are_discarded()
    {
        var record = StsRecord.Select(["v=spf1 -all", "some other text", "v=STSv1; id=one;"], out var problem);
        Assert.Equal("one", record?.Id);
        Assert.Null(problem);
    }

    [Theory]
    [InlineData(new string[0], "no TXT record begins with v=STSv1;")]
    [InlineData(new[] { "v=spf1 -all" }, "no TXT record begins with v=STSv1;")]
    [InlineData(new[] { "v=STSv1; id=one", "v=STSv1; id=two" }, "2 TXT records begin with v=STSv1;")]
    [InlineData(new[] { "v=STSv1; id=bad-id" }, "is not 1 to 32 letters and digits")]
    public void no_record_unless_exactly_one_valid_one_is_left(string[] records, string problem)
    {
        Assert.Null(StsRecord.Select(records, out var why));
        Assert.Contains(problem, why, StringComparison.Ordinal);
    }
}
