using System.CommandLine;
using Pipeline.Ctl;
using Spectre.Console;

// pipelinectl: the operator's command line over the pipeline's HTTP API.
var url = new Option<string>("--url")
{
    Description = "The HTTP API (Events:Listen); default $PIPELINE_URL, else http://127.0.0.1:8025",
    Recursive = true,
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("PIPELINE_URL") is { Length: > 0 } env ? env : "http://127.0.0.1:8025",
};
url.Validators.Add(result =>
{
    var text = result.GetValueOrDefault<string>();
    if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        result.AddError($"--url: '{text}' is not an http or https URL");
});
var token = new Option<string?>("--token")
{
    Description = "A bearer token of Events:ApiTokens; default $PIPELINE_TOKEN",
    Recursive = true,
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("PIPELINE_TOKEN"),
};

var root = new RootCommand("Pipeline's operator tool: the queue, message timelines, live events, retry, cancel and replay.")
{
    url,
    token,
};
var api = new ApiOptions(url, token);
root.Add(QueueCommand.Create(api));
root.Add(ShowCommand.Create(api));
root.Add(TailCommand.Create(api));
root.Add(MessageCommands.Retry(api));
root.Add(MessageCommands.Cancel(api));
root.Add(ReplayCommand.Create(api));
root.Add(DmarcCommand.Create(api));

// Piped output keeps whole lines: tables get room instead of the 80 columns of a non-terminal.
if (Console.IsOutputRedirected)
    AnsiConsole.Profile.Width = 240;

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
        Console.Error.WriteLine($"pipelinectl: {error.Message}");
    Console.Error.WriteLine("See pipelinectl --help.");
    return 2;
}

try
{
    return await parsed.InvokeAsync();
}
catch (CtlException e)
{
    AnsiConsole.MarkupLineInterpolated($"[red]pipelinectl: {e.Message}[/]");
    return 1;
}
