using System.CommandLine;
using Spectre.Console;

namespace Pipeline.Ctl;

/// <summary><c>pipelinectl show ID</c>: a message's summary and its timeline, event by event.</summary>
public static class ShowCommand
{
    /// <summary>The command.</summary>
    public static Command Create(ApiOptions api)
    {
        var id = new Argument<string>("id") { Description = "The message id (the one in 250 OK id=...)" };
        var command = new Command("show", "Show a message: where it stands, each recipient, and its whole history") { id };
        command.SetAction(async (parsed, ct) =>
        {
            using var client = api.Client(parsed);
            var messageId = parsed.GetValue(id)!;
            var summary = await client.GetAsync($"/messages/{Uri.EscapeDataString(messageId)}", ct)
                ?? throw new CtlException($"no message {messageId}");
            var events = (await client.GetAsync($"/messages/{Uri.EscapeDataString(messageId)}/events", ct))!.Value;

            var s = summary;
            AnsiConsole.MarkupLineInterpolated($"[bold]{Display.Text(s, "id")}[/]  {Display.Sender(Display.Text(s, "sender"))}  S={Display.Any(s, "size")}  H=[[{Display.Text(s, "hostAddress")}]]  received {Display.Time(s, "receivedAt")} UTC");
            var status = Display.Text(s, "status");
            var next = status == "deferred" ? $"  next attempt {Display.Time(s, "nextAttemptAt")} UTC" : "";
            AnsiConsole.MarkupLine($"{Display.State(status)}  attempts {Display.Any(s, "attempts")}{Markup.Escape(next)}");

            var recipients = new Table().Border(TableBorder.Simple).AddColumns("Recipient", "State", "Tries", "Host", "Last result");
            foreach (var r in s.GetProperty("recipients").EnumerateArray())
            {
                recipients.AddRow(Markup.Escape(Display.Text(r, "address")), Display.State(Display.Text(r, "state")), Display.Any(r, "attempts"),
                    Markup.Escape(Display.Text(r, "host")), Markup.Escape(Display.Text(r, "lastResult")));
            }

            AnsiConsole.Write(recipients);

            var timeline = new Table().Border(TableBorder.Simple).AddColumns("Seq", "Time (UTC)", "Event", "Details");
            foreach (var e in events.EnumerateArray())
            {
                var name = Display.Text(e, "name");
                timeline.AddRow(Display.Any(e, "sequence"), Display.Time(e, "time"), Display.EventName(name),
                    Markup.Escape(Display.Gist(name, e.GetProperty("data"))));
            }

            AnsiConsole.Write(timeline);
        });
        return command;
    }
}
