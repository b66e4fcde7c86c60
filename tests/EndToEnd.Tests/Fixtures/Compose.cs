using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// compose.yaml brought up by docker-compose under a project of its own, with
/// tests/compose/compose.test.yaml over it, on the podman service that ./test.sh started
/// (PIPELINE_TEST_DOCKER_HOST). Every secret is random; SMTP and the HTTP API are published on
/// free ports; the compose network is created here with a subnet of its own, which is also
/// who may relay. Disposing takes everything down: containers, volumes, network.
/// </summary>
public sealed class ComposeProject : IAsyncDisposable
{
    // Not .env: a developer's own settings stay out of the test, which sets all it needs.
    private static readonly string[] Files = ["--env-file", "tests/compose/test.env", "-f", "compose.yaml", "-f", "tests/compose/compose.test.yaml"];

    // compose.yaml's other variables, which the test leaves at their defaults whatever this
    // process's environment says.
    private static readonly string[] Defaulted = ["RABBITMQ_USER", "LOCAL_DOMAINS", "PIPELINE_IMAGE", "COMPOSE_FILE", "COMPOSE_PROJECT_NAME"];

    private readonly Dictionary<string, string> _environment;
    private readonly HttpClient _http;
    private bool _networkCreated;

    private ComposeProject(int smtpPort, int httpPort)
    {
        SmtpPort = smtpPort;
        HttpPort = httpPort;
        Token = RandomNumberGenerator.GetHexString(32, lowercase: true);
        _environment = new Dictionary<string, string>
        {
            ["DOCKER_HOST"] = DockerHost,
            ["POSTGRES_PASSWORD"] = RandomNumberGenerator.GetHexString(24, lowercase: true),
            ["RABBITMQ_PASSWORD"] = RandomNumberGenerator.GetHexString(24, lowercase: true),
            ["PIPELINE_API_TOKEN"] = Token,
            ["MAIL_HOSTNAME"] = "mail.pipeline.test",
            ["SMTP_PORT"] = smtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["HTTP_BIND"] = "127.0.0.1",
            ["HTTP_PORT"] = httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PIPELINE_TEST_NETWORK"] = Project + "_net",
        };
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    /// <summary>The engine's socket, for docker-compose.</summary>
    public static string DockerHost =>
        Environment.GetEnvironmentVariable("PIPELINE_TEST_DOCKER_HOST") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                "PIPELINE_TEST_DOCKER_HOST is not set: run the tests with ./test.sh, which starts podman's Docker-compatible service");

    /// <summary>The compose project: its containers are <c>{Project}_{service}_{n}</c>.</summary>
    public string Project { get; } = $"pipelinetest{RandomNumberGenerator.GetHexString(8, lowercase: true)}";

    public int SmtpPort { get; }

    public int HttpPort { get; }

    /// <summary>The admin bearer token of the HTTP API.</summary>
    public string Token { get; }

    /// <summary>The compose network's range, which RELAY_FROM lets relay.</summary>
    public string Subnet => _environment["PIPELINE_SUBNET"];

    /// <summary>
    /// Builds the pipeline's image (scripts/image.sh) and the test's own images, creates the
    /// network and starts the stack (<c>up -d</c>); the services may still be starting.
    /// </summary>
    public static async Task<ComposeProject> UpAsync()
    {
        var stack = new ComposeProject(FreePort.Next(), FreePort.Next());
        try
        {
            // This test's own build holds the lock the script would take, when anyone holds it.
            await stack.RunAsync("bash", ["scripts/image.sh"], TimeSpan.FromMinutes(10),
                new Dictionary<string, string> { ["PIPELINE_DOTNET_LOCK"] = "" });
            await stack.CreateNetworkAsync();
            await stack.ComposeAsync(TimeSpan.FromMinutes(10), "build", "postgres", "rabbitmq", "redis", "smtp-sink");
            await stack.ComposeAsync(TimeSpan.FromMinutes(3), "up", "-d");
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs docker-compose on the stack and returns its output; a failure throws with it.</summary>
    public Task<string> ComposeAsync(TimeSpan timeout, params string[] arguments) =>
        RunAsync("docker-compose", ["-p", Project, .. Files, .. arguments], timeout);

    /// <summary>The containers' logs (each line headed by its container's name), the last <paramref name="tail"/> lines of each when given.</summary>
    public async Task<string> LogsAsync(string? service = null, int? tail = null)
    {
        string[] arguments = ["logs", "--no-color", .. tail is null ? Array.Empty<string>() : ["--tail", tail.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)], .. service is null ? Array.Empty<string>() : [service]];
        var (exitCode, output) = await TryRunAsync("docker-compose", ["-p", Project, .. Files, .. arguments], TimeSpan.FromMinutes(1), null);
        return exitCode == 0 ? output : $"(docker-compose logs failed with {exitCode}: {output})";
    }

    /// <summary>Polls until the published HTTP API answers <c>/health</c> with 200.</summary>
    public async Task WaitForApiAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var response = await _http.GetAsync(new Uri("/health", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the HTTP API on 127.0.0.1:{HttpPort} did not answer /health in {timeout}");
            await Task.Delay(500);
        }
    }

    /// <summary>A message's history from the published API, with the token.</summary>
    public async Task<IReadOnlyList<JsonElement>> EventsAsync(string messageId)
    {
        using var response = await _http.GetAsync(new Uri($"/messages/{messageId}/events", UriKind.Relative));
        if (response.StatusCode == HttpStatusCode.NotFound)
            return [];
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToList();
    }

    /// <summary>Polls until the message's history holds <c>msg:complete</c>, and returns it.</summary>
    public async Task<IReadOnlyList<JsonElement>> WaitForCompleteAsync(string messageId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var events = await EventsAsync(messageId);
            if (events.Any(e => e.GetProperty("name").GetString() == "msg:complete"))
                return events;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{messageId} is not complete after {timeout}; its history:\n{string.Join("\n", events.Select(e => e.GetRawText()))}");
            await Task.Delay(200);
        }
    }

    /// <summary>Runs one health check of the container by hand (<c>podman healthcheck run</c>): true when healthy.</summary>
    private async Task<bool> HealthyAsync(string container)
    {
        var (exitCode, _) = await TryRunAsync("podman", ["healthcheck", "run", container], TimeSpan.FromMinutes(1), null);
        return exitCode == 0;
    }

    /// <summary>Runs the container's health check every 2 seconds until it passes, for at most <paramref name="timeout"/>.</summary>
    public async Task<bool> BecomesHealthyAsync(string container, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await HealthyAsync(container))
        {
            if (DateTime.UtcNow > deadline)
                return false;
            await Task.Delay(TimeSpan.FromSeconds(2));
        }

        return true;
    }

    /// <summary>The names of the service's containers, as the engine lists them.</summary>
    public async Task<IReadOnlyList<string>> ContainersAsync(string service)
    {
        var output = await RunAsync("podman", ["ps", "--format", "{{.Names}}",
            "--filter", $"label=com.docker.compose.project={Project}", "--filter", $"label=com.docker.compose.service={service}"], TimeSpan.FromMinutes(1));
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order().ToList();
    }

    public async ValueTask DisposeAsync()
    {
        // Nothing is kept for a graceful stop: the stack lives for one test.
        await TryRunAsync("docker-compose", ["-p", Project, .. Files, "down", "-v", "-t", "3"], TimeSpan.FromMinutes(2), null);
        if (_networkCreated)
            await TryRunAsync("podman", ["network", "rm", "-f", _environment["PIPELINE_TEST_NETWORK"]], TimeSpan.FromMinutes(1), null);
        _http.Dispose();
    }

    // compose.yaml names a subnet of its own for its network, which docker-compose 1.29 cannot
    // reuse under podman (podman reports an IPAM option compose does not expect, and `up
    // --scale` then asks for the network to be recreated), so the test's override names a
    // network made here instead: a /24 of 172.30.0.0/16, tried until one is free.
    private async Task CreateNetworkAsync()
    {
        var name = _environment["PIPELINE_TEST_NETWORK"];
        for (var attempt = 0; ; attempt++)
        {
            var subnet = $"172.30.{Random.Shared.Next(100, 255)}.0/24";
            var (exitCode, output) = await TryRunAsync("podman", ["network", "create", "--subnet", subnet, name], TimeSpan.FromMinutes(1), null);
            if (exitCode == 0)
            {
                _networkCreated = true;
                _environment["PIPELINE_SUBNET"] = subnet;
                _environment["RELAY_FROM"] = subnet;
                _environment["PIPELINE_TEST_DNS"] = subnet.Replace(".0/24", ".1", StringComparison.Ordinal);
                return;
            }

            if (attempt == 5)
                throw new InvalidOperationException($"podman network create failed: {output}");
        }
    }

    private async Task<string> RunAsync(string program, IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? extra = null)
    {
        var list = arguments.ToList();
        var (exitCode, output) = await TryRunAsync(program, list, timeout, extra);
        return exitCode == 0
            ? output
            : throw new InvalidOperationException($"{program} {string.Join(' ', list)} exited with {exitCode}:\n{output}");
    }

    // Runs in the repository's root with the stack's environment; a run past its time is killed.
    private async Task<(int ExitCode, string Output)> TryRunAsync(string program, IEnumerable<string> arguments, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? extra)
    {
        var info = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = TestEnvironment.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var key in Defaulted)
            info.Environment.Remove(key);
        foreach (var (key, value) in _environment)
            info.Environment[key] = value;
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var output = new ProcessOutput();
        output.Attach(process);
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, $"timed out after {timeout}:\n{output.Text}");
        }

        // Without a timeout, WaitForExit also waits for the output still being read.
        process.WaitForExit();
        return (process.ExitCode, output.Text);
    }
}
