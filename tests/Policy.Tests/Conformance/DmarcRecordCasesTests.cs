using System.Text.Json;
using Pipeline.Policy.Dmarc;

namespace Pipeline.Policy.Tests.Conformance;

/// <summary>The DMARC record cases (RFC 7489 §6.3, §6.4) of tests/testdata/dmarc.</summary>
public class DmarcRecordCasesTests
{
    private static readonly JsonElement Cases = TestData.Cases("dmarc", "dmarc-record-cases.json");

    public static TheoryData<string> Names() => TestData.Names(Cases);

    [Theory]
    [MemberData(nameof(Names))]
    public void parses_as_the_rfc_says(string name)
    {
        var c = TestData.Case(Cases, name);
        var record = DmarcRecord.Parse(c.GetProperty("record").GetString()!, out var problem);
        if (!c.GetProperty("valid").GetBoolean())
        {
            Assert.True(record is null, $"{name} should be refused ({c.GetProperty("reason")})");
            return;
        }

        Assert.True(record is not null, problem);
        var effective = c.GetProperty("effective");
        Assert.Equal(effective.GetProperty("p").GetString(), record.Policy);
        Assert.Equal(effective.GetProperty("sp").GetString(), record.SubdomainPolicy);
        Assert.Equal(effective.GetProperty("adkim").GetString() == "s", record.StrictDkim);
        Assert.Equal(effective.GetProperty("aspf").GetString() == "s", record.StrictSpf);
        Assert.Equal(effective.GetProperty("pct").GetInt32(), record.Percent);
        Assert.Equal(effective.GetProperty("fo").GetString(), record.FailureOptions);
        Assert.Equal(effective.GetProperty("ri").GetInt32(), record.ReportInterval);
        Assert.Equal(effective.TryGetProperty("rua", out var rua) ? rua.EnumerateArray().Select(u => u.GetString()!).ToList() : [], record.AggregateReports);
        Assert.Equal(effective.TryGetProperty("ruf", out var ruf) ? ruf.EnumerateArray().Select(u => u.GetString()!).ToList() : [], record.FailureReports);
    }
}
