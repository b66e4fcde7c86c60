using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Pipeline.Ctl;

/// <summary>How values read from the API are shown.</summary>
public static class Display
{
    /// <summary>A string field, or empty.</summary>
    public static string Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    /// <summary>A field of any kind as text, or empty.</summary>
    public static string Any(JsonElement e, string name) =>
        !e.TryGetProperty(name, out var v) || v.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? ""
        : v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();

    /// <summary>An envelope sender: <c>&lt;&gt;</c> for the null sender.</summary>
    public static string Sender(string sender) => sender.Length == 0 ? "<>" : sender;

    /// <summary>A time as UTC, to the second.</summary>
    public static string Time(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.TryGetDateTimeOffset(out var t)
            ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : "";

    /// <summary>An age as mailq and exim -bp show it: 45s, 12m, 3h, 2d.</summary>
    public static string Age(DateTimeOffset since, DateTimeOffset now)
    {
        var age = now - since;
        return age.TotalMinutes < 1 ? $"{(int)age.TotalSeconds}s"
            : age.TotalHours < 1 ? $"{(int)age.TotalMinutes}m"
            : age.TotalDays < 1 ? $"{(int)age.TotalHours}h"
            : $"{(int)age.TotalDays}d";
    }

    /// <summary>A size in bytes, shortened: 411, 2.1K, 3.4M.</summary>
    public static string Size(long bytes) =>
        bytes < 1024 ? bytes.ToString(CultureInfo.InvariantCulture)
        : bytes < 1024 * 1024 ? (bytes / 1024.0).ToString("0.0K", CultureInfo.InvariantCulture)
        : (bytes / 1024.0 / 1024.0).ToString("0.0M", CultureInfo.InvariantCulture);

    /// <summary>A recipient state in its colour.</summary>
    public static string State(string state) => state switch
    {
        "Delivered" or "completed" => $"[green]{state}[/]",
        "Failed" or "Refused" => $"[red]{state}[/]",
        "Deferred" or "deferred" => $"[yellow]{state}[/]",
        _ => Markup.Escape(state),
    };

    /// <summary>An event name in the colour of what it means.</summary>
    public static string EventName(string name) => name switch
    {
        "msg:delivery" or "msg:complete" => $"[green]{name}[/]",
        _ when name.StartsWith("msg:fail", StringComparison.Ordinal) || name.EndsWith(":fail", StringComparison.Ordinal)
            || name.Contains(":fail:", StringComparison.Ordinal) || name == "msg:cancel" => $"[red]{name}[/]",
        _ when name.Contains("defer", StringComparison.Ordinal) => $"[yellow]{name}[/]",
        _ => name,
    };

    /// <summary>The one-line gist of an event's data: what an operator reads first.</summary>
    public static string Gist(string name, JsonElement data)
    {
        var recipient = data.TryGetProperty("recipient", out var r) && r.ValueKind == JsonValueKind.Object ? Text(r, "address") : null;
        var parts = new List<string>();
        switch (name)
        {
            case "msg:received":
                parts.Add($"from {Sender(Text(data, "sender"))}");
                if (data.TryGetProperty("recipients", out var list))
                    parts.Add("to " + string.Join(", ", list.EnumerateArray().Select(x => Text(x, "address"))));
                parts.Add($"S={Any(data, "size")}");
                var host = Text(data, "hostAddress");
                if (host.Length > 0)
                    parts.Add($"H=[{host}]");
                break;
            case "msg:delay-warning":
                parts.Add($"delayed {Text(data, "delay")}: warning {Any(data, "warnings")} is {Text(data, "warningId")}");
                break;
            case "tcp:connect":
            case "tcp:close":
            case "smtp:connect":
                parts.Add($"[{Text(data, "hostAddress")}]:{Any(data, "hostPort")}");
                break;
        }

        if (recipient is not null)
            parts.Add(recipient);
        foreach (var field in new[] { "host", "eventData", "reply", "nextAttemptAt", "by" })
        {
            var value = field == "nextAttemptAt" ? Time(data, field) : Any(data, field);
            if (value.Length > 0 && !(field == "host" && name.StartsWith("tcp:", StringComparison.Ordinal)))
                parts.Add(field == "nextAttemptAt" ? $"next {value}" : field == "host" ? $"H={value}" : value);
        }

        return string.Join("  ", parts);
    }
}
