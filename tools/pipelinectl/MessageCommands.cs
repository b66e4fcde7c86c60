using System.CommandLine;
using System.Net;
using System.Text.Json;
using Spectre.Console;

namespace Pipeline.Ctl;

/// <summary><c>pipelinectl retry ID</c> and <c>pipelinectl cancel ID</c>: an operator's hand on one queued message.</summary>
public static class MessageCommands
{
    /// <summary>Retry now, past the retry times (Exim's <c>-M</c>).</summary>
    public static Command Retry(ApiOptions api) =>
        Create(api, "retry", "Attempt a queued message now, whatever its and its hosts' retry times (exim -M)");

    /// <summary>Give the message up; the sender gets a bounce (Exim's <c>-Mg</c>).</summary>
    public static Command Cancel(ApiOptions api) =>
        Create(api, "cancel", "Give a queued message up: its pending recipients fail and the sender gets a bounce (exim -Mg)");

    private static Command Create(ApiOptions api, string verb, string description)
    {
        var id = new Argument<string>("id") { Description = "The message id" };
        var command = new Command(verb, description) { id };
        command.SetAction(async (parsed, ct) =>
        {
            using var client = api.Client(parsed);
            var messageId = parsed.GetValue(id)!;
            var (status, body) = await client.PostAsync($"/messages/{Uri.EscapeDataString(messageId)}/{verb}", null, ct);
            var detail = body.ValueKind == JsonValueKind.Object ? Display.Text(body, "detail") is { Length: > 0 } d ? d : Display.Text(body, "error") : "";
            switch (status)
            {
                case HttpStatusCode.OK:
                    AnsiConsole.MarkupLineInterpolated($"[green]{messageId}[/]: {detail}");
                    return 0;
                case HttpStatusCode.Conflict:
                    AnsiConsole.MarkupLineInterpolated($"[yellow]{messageId}[/]: {detail}");
                    return 3;
                case HttpStatusCode.NotFound:
                    AnsiConsole.MarkupLineInterpolated($"[red]{messageId}[/]: {detail}");
                    return 1;
                default:
                    throw new CtlException($"{(int)status}: {detail}");
            }
        });
        return command;
    }
}
