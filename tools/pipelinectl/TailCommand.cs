using System.CommandLine;
using Spectre.Console;

namespace Pipeline.Ctl;

/// <summary><c>pipelinectl tail</c>: live events, as they are stored, from the log's Server-Sent Events stream.</summary>
public static class TailCommand
{
    /// <summary>The command.</summary>
    public static Command Create(ApiOptions api)
    {
        var names = new Option<string?>("--names") { Description = "Only these event names, comma-separated (msg:delivery,msg:fail:delivery)" };
        var domain = new Option<string?>("--domain") { Description = "Only events concerning a recipient in this domain" };
        var after = new Option<long?>("--after") { Description = "Start after this sequence number instead of now (0: the whole log)" };
        var count = new Option<int?>("--count") { Description = "Stop after this many events" };
        var command = new Command("tail", "Follow events live; Ctrl-C stops") { names, domain, after, count };
        command.SetAction(async (parsed, ct) =>
        {
            using var client = api.Client(parsed);
            var start = parsed.GetValue(after) ?? await LastSequenceAsync(client, ct);
            var query = $"/events/stream?after={start}";
            if (parsed.GetValue(names) is { } n)
                query += $"&names={Uri.EscapeDataString(n)}";
            if (parsed.GetValue(domain) is { } d)
                query += $"&domain={Uri.EscapeDataString(d)}";
            var left = parsed.GetValue(count);
            try
            {
                await foreach (var e in client.StreamAsync(query, ct))
                {
                    var name = Display.Text(e, "name");
                    var data = e.GetProperty("data");
                    var stream = Display.Text(data, "messageId") is { Length: > 0 } m ? m : Display.Text(data, "connectionId");
                    AnsiConsole.MarkupLine($"{Display.Any(e, "sequence")} {Display.Time(e, "time")} {Display.EventName(name)} {Markup.Escape(stream)} {Markup.Escape(Display.Gist(name, data))}");
                    if (left is not null && --left <= 0)
                        return;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl-C.
            }
        });
        return command;
    }

    // Where the log ends now: tail shows what comes next.
    private static async Task<long> LastSequenceAsync(ApiClient client, CancellationToken ct) =>
        (await client.GetAsync("/events/last", ct))!.Value.GetProperty("sequence").GetInt64();
}
