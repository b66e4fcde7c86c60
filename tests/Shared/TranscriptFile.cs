using System.Globalization;
using System.Text.RegularExpressions;

namespace Pipeline.Tests.Shared;

/// <summary>
/// What the session's and the client's transcript files have in common: comments and blank
/// lines, errors that name the file and line, <c>@option Name=Value</c> set on an options object
/// by reflection, and <c>*</c> globs. Each runner parses its own kinds of line. Linked into the
/// ingress and delivery tests.
/// </summary>
internal static class TranscriptFile
{
    /// <summary>
    /// Hands every line but comments and blank lines to <paramref name="parse"/> with its number;
    /// a line it returns false for is an error.
    /// </summary>
    public static void Read(string path, string name, Func<int, string, bool> parse)
    {
        var lines = File.ReadAllLines(path);
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0 || lines[i].StartsWith('#'))
                continue;
            if (!parse(i + 1, lines[i]))
                throw Error(name, i + 1, $"not a transcript line: {lines[i]}");
        }
    }

    /// <summary>The number of lines of the file, for errors about its end.</summary>
    public static int LineCount(string path) => File.ReadAllLines(path).Length;

    public static InvalidOperationException Error(string name, int line, string what) => new($"{name}:{line}: {what}");

    /// <summary>
    /// Sets the property <c>Name</c> of <paramref name="options"/> from <c>Name=Value</c>: numbers,
    /// booleans, times, strings, lists (comma-separated, empty for none) and dictionaries
    /// (<c>key=value</c>, comma-separated).
    /// </summary>
    public static void SetOption(object options, string name, int line, string assignment)
    {
        var equals = assignment.IndexOf('=');
        var property = equals < 0 ? null : options.GetType().GetProperty(assignment[..equals]);
        if (property is null)
            throw Error(name, line, $"no such option: {assignment}");
        var text = assignment[(equals + 1)..];
        object value = property.PropertyType switch
        {
            var t when t == typeof(int) => int.Parse(text, CultureInfo.InvariantCulture),
            var t when t == typeof(long) => long.Parse(text, CultureInfo.InvariantCulture),
            var t when t == typeof(bool) => bool.Parse(text),
            var t when t == typeof(TimeSpan) => TimeSpan.Parse(text, CultureInfo.InvariantCulture),
            var t when t == typeof(string) => text,
            var t when t == typeof(List<string>) => text.Length == 0 ? new List<string>() : text.Split(',').ToList(),
            var t when t == typeof(Dictionary<string, string>) => text.Split(',')
                .Select(e => e.Split('=', 2)).ToDictionary(p => p[0], p => p[1]),
            _ => throw Error(name, line, $"cannot set {property.Name} from a transcript"),
        };
        property.SetValue(options, value);
    }

    /// <summary>True when <paramref name="text"/> matches <paramref name="pattern"/>, where <c>*</c> stands for any text.</summary>
    public static bool Glob(string pattern, string text) =>
        Regex.IsMatch(text, "^" + Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.Singleline);
}
