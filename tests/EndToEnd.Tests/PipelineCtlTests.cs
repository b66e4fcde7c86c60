using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>pipelinectl, the operator's tool, run as a program against a running pipeline with tokens.</summary>
public sealed class pipelinectl_commands
{
    private const string Reader = "read-token-0123456789";
    private const string Admin = "admin-token-0123456789";

    [Fact]
    public async Task an_operator_lists_the_queue_shows_a_message_follows_events_retries_cancels_and_rebuilds()
    {
        await using var sink = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: new Dictionary<string, string>
        {
            ["Delivery:Routes:0:Domains:0"] = "origin.test",
            ["Delivery:Routes:0:Hosts:0"] = $"127.0.0.1:{sink.Port}",
            ["Delivery:Routes:1:Domains:0"] = "down.test",
            ["Delivery:Routes:1:Hosts:0"] = $"127.0.0.1:{FreePort.Next()}",
            ["Delivery:RetryRules"] = "F,2d,1h",
            ["Delivery:ConnectTimeout"] = "00:00:02",
            ["Events:ApiTokens:0:Token"] = Reader,
            ["Events:ApiTokens:0:Role"] = "read",
            ["Events:ApiTokens:1:Token"] = Admin,
            ["Events:ApiTokens:1:Role"] = "admin",
        }));
        var url = $"http://127.0.0.1:{settings.HttpPort}";
        Task<(int ExitCode, string Output)> Ctl(string? token, params string[] arguments) =>
            Command.RunAsync("dotnet", [TestEnvironment.PipelineCtlDll, .. arguments, "--url", url, .. token is null ? Array.Empty<string>() : ["--token", token]], "");

        var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "s@origin.test", "--to", "x@down.test");
        var id = swaks.MessageId ?? throw new InvalidOperationException(swaks.Transcript);

        // tail: the message's events as they come.
        var (code, output) = await Ctl(Reader, "tail", "--after", "0", "--names", "msg:received,msg:defer", "--count", "2");
        Assert.True(code == 0, output);
        Assert.Matches($@"msg:received {id} from s@origin\.test  to x@down\.test", output);
        Assert.Matches($@"msg:defer {id} .*next ", output);

        // queue, like mailq: once the projection has it.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            (code, output) = await Ctl(Reader, "queue");
            Assert.True(code == 0, output);
        }
        while (!output.Contains("1 message in the queue", StringComparison.Ordinal) && DateTime.UtcNow < deadline && await Task.Delay(200).ContinueWith(_ => true));
        Assert.Contains(id, output, StringComparison.Ordinal);
        Assert.Contains("x@down.test", output, StringComparison.Ordinal);
        Assert.Contains("s@origin.test", output, StringComparison.Ordinal);

        (code, output) = await Ctl(null, "queue");
        Assert.Equal(1, code);
        Assert.Contains("the API wants a token", output, StringComparison.Ordinal);

        // show: the summary, the recipient, the timeline.
        (code, output) = await Ctl(Reader, "show", id);
        Assert.True(code == 0, output);
        Assert.Contains("deferred", output, StringComparison.Ordinal);
        Assert.Matches(@"x@down\.test\s+Deferred\s+1", output);
        Assert.Matches(@"msg:received\s+from s@origin\.test", output);
        Assert.Contains("msg:host:defer", output, StringComparison.Ordinal);

        // retry and cancel: admin only.
        (code, output) = await Ctl(Reader, "retry", id);
        Assert.Equal(1, code);
        Assert.Contains("this token may not do that", output, StringComparison.Ordinal);
        (code, output) = await Ctl(Admin, "retry", id);
        Assert.True(code == 0, output);
        Assert.Contains("due now", output, StringComparison.Ordinal);
        deadline = DateTime.UtcNow.AddSeconds(30);
        using var history = new HistoryClient(settings.HttpPort);
        do
        {
            (code, output) = await Ctl(Admin, "cancel", id);
        }
        while (code == 3 && DateTime.UtcNow < deadline); // busy while the retry's attempt runs
        Assert.True(code == 0, output);
        Assert.Contains("cancelled", output, StringComparison.Ordinal);
        (code, output) = await Ctl(Admin, "cancel", id);
        Assert.Equal(1, code);
        Assert.Contains("not in the queue", output, StringComparison.Ordinal);
        Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30))); // the bounce

        (code, output) = await Ctl(Admin, "replay", "projection", "all");
        Assert.True(code == 0, output);
        Assert.Contains("rebuilt message-summary, recipient-delivery, connection-summary, event-counts", output, StringComparison.Ordinal);
        (code, output) = await Ctl(Admin, "replay", "events", "--to", "bus", "--from-sequence", "1", "--names", "msg:cancel");
        Assert.True(code == 0, output);
        Assert.Contains("replayed 1 events", output, StringComparison.Ordinal);
        (code, output) = await Ctl(Admin, "replay", "events", "--to", "webhook:none", "--from-sequence", "1");
        Assert.Equal(1, code);
        Assert.Contains("neither 'bus' nor 'webhook:NAME'", output, StringComparison.Ordinal);

        (code, output) = await Ctl(Reader, "show", "no-such-message");
        Assert.Equal(1, code);
        Assert.Contains("no message no-such-message", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task it_installs_as_a_dotnet_tool()
    {
        var folder = Directory.CreateTempSubdirectory("pipelinectl-");
        try
        {
            var project = Path.Combine(TestEnvironment.RepositoryRoot, "tools", "pipelinectl");
            var packages = Path.Combine(folder.FullName, "packages");
            var tools = Path.Combine(folder.FullName, "tools");
            var (code, output) = await Command.RunAsync("dotnet", ["pack", project, "-c", "Release", "--no-build", "-o", packages, "-nologo"], "");
            Assert.True(code == 0, output);
            (code, output) = await Command.RunAsync("dotnet", ["tool", "install", "pipelinectl", "--tool-path", tools, "--add-source", packages], "");
            Assert.True(code == 0, output);
            (code, output) = await Command.RunAsync(Path.Combine(tools, "pipelinectl"), ["--help"], "");
            Assert.True(code == 0, output);
            Assert.Contains("retry <id>", output, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
