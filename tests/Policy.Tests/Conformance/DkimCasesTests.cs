using System.Text;
using System.Text.Json;
using MimeKit;
using Pipeline.Policy.Dkim;

namespace Pipeline.Policy.Tests.Conformance;

/// <summary>The DKIM cases of tests/testdata/dkim (generated and dkimpy's): each signature's result must be one the case accepts.</summary>
public class DkimCasesTests
{
    private static readonly string[] Folders = ["generated", "dkimpy"];

    private static JsonElement Cases(string folder) => TestData.Cases(Path.Combine("dkim", folder), "cases.json");

    public static TheoryData<string, string> Names()
    {
        var names = new TheoryData<string, string>();
        foreach (var folder in Folders)
            foreach (var c in Cases(folder).EnumerateArray())
                names.Add(folder, c.GetProperty("name").GetString()!);
        return names;
    }

    // The case's key records as the suite's zones serve them: a string, a list of strings (one RR), or TIMEOUT.
    private static SuiteZone Zone(JsonElement records)
    {
        var zone = new Dictionary<string, object[]>();
        foreach (var record in records.EnumerateObject())
        {
            zone[record.Name] = record.Value.ValueKind switch
            {
                JsonValueKind.String when record.Value.GetString() == "TIMEOUT" => [new { type = "TIMEOUT" }],
                JsonValueKind.String => [new { type = "TXT", strings = new[] { record.Value.GetString() } }],
                _ => [new { type = "TXT", strings = record.Value.EnumerateArray().Select(s => s.GetString()).ToArray() }],
            };
        }

        return new SuiteZone(JsonSerializer.SerializeToElement(zone));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task verifies_as_the_rfcs_say(string folder, string name)
    {
        var c = TestData.Case(Cases(folder), name);
        var bytes = await File.ReadAllBytesAsync(TestData.File(Path.Combine("dkim", folder), c.GetProperty("file").GetString()!));
        // As on the SMTP wire: bare LF line ends become CRLF.
        var text = Encoding.Latin1.GetString(bytes).Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal);
        var message = MimeMessage.Load(new MemoryStream(Encoding.Latin1.GetBytes(text)));

        var outcomes = await new DkimChecker(Zone(c.GetProperty("dns_txt"))).VerifyAsync(message, DateTimeOffset.FromUnixTimeSeconds(1700000000), CancellationToken.None);

        var expected = c.GetProperty("signatures").EnumerateArray().ToList();
        Assert.Equal(expected.Count, outcomes.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var acceptable = expected[i].GetProperty("acceptable").EnumerateArray().Select(a => a.GetString()).ToList();
            Assert.True(acceptable.Contains(outcomes[i].Result), $"signature {i}: expected {string.Join(" or ", acceptable)}, got {outcomes[i].Result} ({outcomes[i].Problem})");
        }
    }
}
