using Pipeline.Policy.Dmarc;

namespace Pipeline.Policy.Tests.Conformance;

/// <summary>The Public Suffix List's own tests (tests.txt), against the list policy ships.</summary>
public class PublicSuffixTests
{
    private static readonly PublicSuffixList List = TestData.Suffixes;

    public static TheoryData<string, string> Checks()
    {
        var checks = new TheoryData<string, string>();
        foreach (var line in File.ReadLines(TestData.File("psl", "tests.txt")))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 2 && !line.StartsWith("//", StringComparison.Ordinal))
                checks.Add(words[0], words[1]);
        }

        return checks;
    }

    [Theory]
    [MemberData(nameof(Checks))]
    public void gives_the_registrable_domain(string input, string expected) =>
        Assert.Equal(expected == "null" ? null : expected, List.OrganizationalDomain(input == "null" ? null : input));

    [Fact]
    public void the_file_holds_all_78_checks() => Assert.Equal(78, Checks().Count);
}
