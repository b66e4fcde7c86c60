using System.CommandLine;
using System.Net;
using System.Text.Json;
using Spectre.Console;

namespace Pipeline.Ctl;

/// <summary>
/// <c>pipelinectl replay projection NAME</c> rebuilds a projection from the log;
/// <c>pipelinectl replay events --to TARGET --from-sequence N</c> sends a window of history again.
/// </summary>
public static class ReplayCommand
{
    /// <summary>The command and its two subcommands.</summary>
    public static Command Create(ApiOptions api)
    {
        var command = new Command("replay", "Rebuild projections from the log, or send a window of history again");
        command.Add(Projection(api));
        command.Add(Events(api));
        command.Add(Status(api));
        return command;
    }

    private static Command Projection(ApiOptions api)
    {
        var name = new Argument<string>("name")
        {
            Description = "all (or any of message-summary, recipient-delivery, connection-summary, event-counts: they are rebuilt together)",
        };
        var command = new Command("projection", "Rebuild the projections from the whole event log, all five in one pass") { name };
        command.SetAction(async (parsed, ct) =>
        {
            using var client = api.Client(parsed);
            var started = DateTimeOffset.UtcNow;
            var (status, body) = await AnsiConsole.Status().StartAsync($"rebuilding {parsed.GetValue(name)} ...",
                _ => client.PostAsync($"/projections/{Uri.EscapeDataString(parsed.GetValue(name)!)}/rebuild", null, ct));
            if (status != HttpStatusCode.OK)
                throw new CtlException(Display.Text(body, "error"));
            var rebuilt = string.Join(", ", body.GetProperty("rebuilt").EnumerateArray().Select(n => n.GetString()));
            AnsiConsole.MarkupLineInterpolated($"[green]rebuilt[/] {rebuilt} in {(DateTimeOffset.UtcNow - started).TotalSeconds:0.0} s");
            return 0;
        });
        return command;
    }

    private static Command Events(ApiOptions api)
    {
        var to = new Option<string>("--to") { Description = "bus, or webhook:NAME (a subscription of Events:Webhooks)", Required = true };
        var fromSequence = new Option<long?>("--from-sequence") { Description = "The first sequence number of the window" };
        var fromTime = new Option<DateTimeOffset?>("--from-time") { Description = "Or the time the window starts (ISO 8601)" };
        var toSequence = new Option<long?>("--to-sequence") { Description = "The last sequence number (default: the end of the log)" };
        var names = new Option<string?>("--names") { Description = "Only these event names, comma-separated" };
        var command = new Command("events", "Send a window of history again, marked as replayed, to a webhook or the bus")
        {
            to, fromSequence, fromTime, toSequence, names,
        };
        command.SetAction(async (parsed, ct) =>
        {
            using var client = api.Client(parsed);
            var request = new Dictionary<string, object?>
            {
                ["target"] = parsed.GetValue(to),
                ["fromSequence"] = parsed.GetValue(fromSequence),
                ["fromTime"] = parsed.GetValue(fromTime),
                ["toSequence"] = parsed.GetValue(toSequence),
                ["names"] = parsed.GetValue(names)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [],
            };
            var (status, body) = await client.PostAsync("/replay", request, ct);
            if (status != HttpStatusCode.OK)
                throw new CtlException(body.ValueKind == JsonValueKind.Object ? Display.Text(body, "error") : $"{(int)status}");
            AnsiConsole.MarkupLineInterpolated(
                $"[green]replayed[/] {Display.Any(body, "events")} events ({Display.Any(body, "from")} to {Display.Any(body, "to")}) to {Display.Text(body, "target")}");
            return 0;
        });
        return command;
    }

    private static Command Status(ApiOptions api)
    {
        var command = new Command("status", "Show where each projection stands in the log");
        command.SetAction(async (parsed, ct) =>
        {
            using var client = api.Client(parsed);
            var status = (await client.GetAsync("/projections", ct))!.Value;
            var table = new Table().Border(TableBorder.Simple).AddColumns("Projection", "Sequence");
            foreach (var p in status.GetProperty("projections").EnumerateArray())
                table.AddRow(Markup.Escape(Display.Text(p, "name")), Display.Any(p, "sequence"));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"high-water mark {Display.Any(status, "highWaterMark")}");
        });
        return command;
    }
}
