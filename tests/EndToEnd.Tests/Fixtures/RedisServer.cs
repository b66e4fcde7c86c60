using System.Diagnostics;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// Redis from Debian's package, on 127.0.0.1 with a private folder and nothing saved to disk;
/// its data is set with the real <c>redis-cli</c>. It can be stopped and started again on the
/// same port, empty.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private ServerProcess? _server;

    public int Port { get; } = FreePort.Next();

    public static async Task<RedisServer> StartAsync()
    {
        var redis = new RedisServer();
        await redis.StartAgainAsync();
        return redis;
    }

    /// <summary>Starts the server (again), empty.</summary>
    public async Task StartAgainAsync()
    {
        var folder = Directory.CreateTempSubdirectory("pipeline-redis-").FullName;
        _server = await ServerProcess.StartAsync(new ProcessStartInfo("redis-server",
            ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", folder, "--daemonize", "no"]), folder, Port);
    }

    /// <summary>Stops the server: lookups fail until <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
        _server = null;
    }

    /// <summary>Runs one redis-cli command, e.g. <c>SADD relay_from_ips 127.0.0.1</c>.</summary>
    public async Task<string> CliAsync(params string[] command)
    {
        var (exitCode, output) = await Command.RunAsync("redis-cli", ["-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. command], "");
        return exitCode == 0 ? output : throw new InvalidOperationException($"redis-cli {string.Join(' ', command)}: {output}");
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
