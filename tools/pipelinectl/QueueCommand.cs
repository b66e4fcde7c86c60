using System.CommandLine;
using Spectre.Console;

namespace Pipeline.Ctl;

/// <summary><c>pipelinectl queue</c>: the messages not yet complete, as <c>mailq</c> and <c>exim -bp</c> list them.</summary>
public static class QueueCommand
{
    /// <summary>The command.</summary>
    public static Command Create(ApiOptions api)
    {
        var limit = new Option<int>("--limit") { Description = "How many to list (1 to 1000)", DefaultValueFactory = _ => 100 };
        var command = new Command("queue", "List the queue: messages not yet complete, soonest due first") { limit };
        command.SetAction(async (parsed, ct) =>
        {
            using var client = api.Client(parsed);
            var queue = (await client.GetAsync($"/queue?limit={parsed.GetValue(limit)}", ct))!.Value;
            var now = DateTimeOffset.UtcNow;
            var table = new Table().Border(TableBorder.Simple)
                .AddColumns("Age", "Size", "Id", "Sender", "Pending", "Tries", "Next attempt (UTC)", "Last error");
            foreach (var m in queue.GetProperty("messages").EnumerateArray())
            {
                table.AddRow(
                    Display.Age(m.GetProperty("receivedAt").GetDateTimeOffset(), now),
                    Display.Size(m.GetProperty("size").GetInt64()),
                    Markup.Escape(Display.Text(m, "id")),
                    Markup.Escape(Display.Sender(Display.Text(m, "sender"))),
                    Markup.Escape(string.Join(", ", m.GetProperty("pending").EnumerateArray().Select(p => p.GetString()))),
                    Display.Any(m, "attempts"),
                    Display.Time(m, "nextAttemptAt"),
                    $"[yellow]{Markup.Escape(Display.Text(m, "lastError"))}[/]");
            }

            var count = queue.GetProperty("count").GetInt32();
            if (count > 0)
                AnsiConsole.Write(table);
            AnsiConsole.MarkupLine(count == 1 ? "1 message in the queue" : $"{count} messages in the queue");
        });
        return command;
    }
}
