using System.CommandLine;
using System.Globalization;
using System.Net;
using Spectre.Console;

namespace Pipeline.Ctl;

/// <summary>
/// <c>pipelinectl dmarc report --domain D [--begin T --end T]</c> prints the aggregate DMARC
/// report of a policy domain for a period (RFC 7489 appendix C XML) without sending it;
/// <c>pipelinectl dmarc send</c> sends it now, once.
/// </summary>
public static class DmarcCommand
{
    /// <summary>The command and its subcommands.</summary>
    public static Command Create(ApiOptions api)
    {
        var command = new Command("dmarc", "DMARC aggregate reports: print one, or send it now");
        command.Add(Report(api, send: false));
        command.Add(Report(api, send: true));
        return command;
    }

    private static Command Report(ApiOptions api, bool send)
    {
        var domain = new Option<string>("--domain") { Description = "The policy domain (the domain whose DMARC record applied)", Required = true };
        var begin = new Option<DateTimeOffset?>("--begin") { Description = "The period's start (ISO 8601); default: the configured period that ended last" };
        var end = new Option<DateTimeOffset?>("--end") { Description = "The period's end, exclusive (ISO 8601); with --begin" };
        var command = send
            ? new Command("send", "Make the aggregate report of a domain for a period and send it to its rua addresses now (once per domain and period)")
            : new Command("report", "Print the aggregate report (XML) of a domain for a period, without sending it");
        command.Add(domain);
        command.Add(begin);
        command.Add(end);
        command.Validators.Add(result =>
        {
            if (result.GetValue(begin) is null != result.GetValue(end) is null)
                result.AddError("give both --begin and --end, or neither");
            else if (result.GetValue(begin) is { } b && result.GetValue(end) is { } e && e <= b)
                result.AddError("--end must be after --begin");
        });
        command.SetAction(async (parsed, ct) =>
        {
            using var client = api.Client(parsed);
            var path = $"/dmarc/aggregate?domain={Uri.EscapeDataString(parsed.GetValue(domain)!)}";
            if (parsed.GetValue(begin) is { } b && parsed.GetValue(end) is { } e)
                path += string.Create(CultureInfo.InvariantCulture, $"&begin={b.ToUnixTimeSeconds()}&end={e.ToUnixTimeSeconds() - 1}");
            if (!send)
            {
                var report = await client.GetAsync(path, ct)
                    ?? throw new CtlException($"no DMARC-evaluated message of {parsed.GetValue(domain)} in that period");
                Console.Out.Write(report.GetProperty("xml").GetString());
                return 0;
            }

            var (status, body) = await client.PostAsync(path, null, ct);
            if (status != HttpStatusCode.OK)
                throw new CtlException(Display.Text(body, "error"));
            var id = body.GetProperty("messageId").GetString();
            if (body.GetProperty("alreadySent").GetBoolean())
                AnsiConsole.MarkupLineInterpolated($"[yellow]already sent[/]: report {body.GetProperty("reportId").GetString()}");
            else if (id is null)
            {
                var messages = body.GetProperty("messages").GetInt32();
                if (messages == 0)
                    AnsiConsole.MarkupLine("[yellow]not sent[/]: no DMARC-evaluated message of the domain in the period");
                else
                    AnsiConsole.MarkupLineInterpolated($"[yellow]not sent[/]: {messages} message(s), and no rua destination takes the report (none verified, or all smaller than it)");
            }
            else
            {
                var to = string.Join(", ", body.GetProperty("destinations").EnumerateArray().Select(d => d.GetString()));
                AnsiConsole.MarkupLineInterpolated($"[green]queued[/] {id}: report {body.GetProperty("reportId").GetString()} to {to}");
            }

            return 0;
        });
        return command;
    }
}
