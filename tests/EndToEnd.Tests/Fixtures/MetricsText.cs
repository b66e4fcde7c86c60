using System.Globalization;
using System.Text.RegularExpressions;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>Reads the Prometheus text exposition a role serves on <c>/metrics</c>.</summary>
public static partial class MetricsText
{
    /// <summary>The sum of a metric's samples whose labels contain every one of <paramref name="labels"/>.</summary>
    public static double Value(string exposition, string name, params string[] labels) =>
        Sample().Matches(exposition)
            .Where(m => m.Groups["name"].Value == name && labels.All(l => m.Groups["labels"].Value.Contains(l, StringComparison.Ordinal)))
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>[^}]*)\})? (?<value>[0-9.eE+-]+|NaN)(?: \d+)?$", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
