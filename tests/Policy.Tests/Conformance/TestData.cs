using System.Text.Json;
using Pipeline.Policy.Dmarc;

namespace Pipeline.Policy.Tests.Conformance;

/// <summary>The conformance data copied next to the tests, and the Public Suffix List policy ships.</summary>
public static class TestData
{
    /// <summary>A file of tests/testdata, by its folder and name.</summary>
    public static string File(string folder, string name) => Path.Combine(AppContext.BaseDirectory, "testdata", folder, name);

    /// <summary>The <c>cases</c> array of a JSON case file.</summary>
    public static JsonElement Cases(string folder, string name) =>
        JsonDocument.Parse(System.IO.File.ReadAllText(File(folder, name))).RootElement.GetProperty("cases");

    /// <summary>The names of the cases of a JSON case file, as theory data.</summary>
    public static TheoryData<string> Names(JsonElement cases) => [.. cases.EnumerateArray().Select(c => c.GetProperty("name").GetString()!)];

    /// <summary>The case called <paramref name="name"/>.</summary>
    public static JsonElement Case(JsonElement cases, string name) => cases.EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    /// <summary>The list in policy's Data folder.</summary>
    public static PublicSuffixList Suffixes { get; } = PublicSuffixList.Load(Path.Combine(AppContext.BaseDirectory, "Data", "public_suffix_list.dat"));
}
