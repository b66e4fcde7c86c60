using System.Net;
using System.Text.Json;
using Pipeline.Policy.Spf;
using Xunit.Abstractions;

namespace Pipeline.Policy.Tests.Conformance;

/// <summary>
/// The RFC 7208 test suite (openspf 2014.04 with pyspf's 2019.08 additions), every test of
/// every scenario, run against <see cref="SpfChecker"/> over each scenario's own DNS.
/// </summary>
public class Rfc7208SuiteTests(ITestOutputHelper output)
{
    private static readonly JsonDocument Suite = JsonDocument.Parse(File.ReadAllText(TestData.File("spf", "rfc7208-tests.json")));

    private static IEnumerable<JsonElement> Scenarios => Suite.RootElement.GetProperty("scenarios").EnumerateArray();

    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (var scenario in Scenarios)
            foreach (var test in scenario.GetProperty("tests").EnumerateArray())
                cases.Add(scenario.GetProperty("description").GetString()!, test.GetProperty("name").GetString()!);
        return cases;
    }

    private static async Task<(bool Passed, string Report)> RunAsync(string scenarioName, string testName)
    {
        var scenario = Scenarios.Single(s => s.GetProperty("description").GetString() == scenarioName);
        var test = scenario.GetProperty("tests").EnumerateArray().Single(t => t.GetProperty("name").GetString() == testName);
        var checker = new SpfChecker(new SuiteZone(scenario.GetProperty("zonedata")));
        var outcome = await checker.CheckAsync(IPAddress.Parse(test.GetProperty("host").GetString()!), test.GetProperty("mailfrom").GetString()!,
            test.GetProperty("helo").GetString()!, "receiver.test", CancellationToken.None);

        var expected = test.GetProperty("results").EnumerateArray().Select(r => r.GetString()!).ToList();
        var passed = expected.Contains(outcome.Result.Name());
        if (passed && outcome.Result == SpfResult.Fail && test.TryGetProperty("explanation", out var explanation))
            // "DEFAULT": the receiver's own text, as no usable exp= text was found.
            passed = explanation.GetString() == "DEFAULT" ? outcome.Explanation is null : outcome.Explanation == explanation.GetString();
        var report = $"{scenarioName} / {testName} (RFC 7208 {test.GetProperty("spec")}): expected {string.Join(" or ", expected)}" +
                     $"{(test.TryGetProperty("explanation", out var e) ? $" \"{e}\"" : "")}, got {outcome.Result.Name()}" +
                     $"{(outcome.Explanation is null ? "" : $" \"{outcome.Explanation}\"")} ({outcome.Problem})";
        return (passed, report);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task passes(string scenario, string test)
    {
        var (passed, report) = await RunAsync(scenario, test);
        Assert.True(passed, report);
    }

    [Fact]
    public async Task passes_in_full()
    {
        var cases = Cases();
        var failures = new List<string>();
        foreach (var row in cases)
        {
            var (passed, report) = await RunAsync((string)row[0], (string)row[1]);
            if (!passed)
                failures.Add(report);
        }

        output.WriteLine($"RFC 7208 suite: {cases.Count - failures.Count} of {cases.Count} tests passed, none skipped");
        Assert.Equal(Suite.RootElement.GetProperty("test_count").GetInt32(), cases.Count);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
