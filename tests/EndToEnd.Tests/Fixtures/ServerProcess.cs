using System.Diagnostics;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// A real server program from Debian's packages (nsd, haproxy, smtp-sink ...) started for a
/// test in the foreground, with its files in a folder of its own: it is ready once its ports
/// accept connections, and disposing it kills it and removes the folder.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ProcessOutput _output = new();

    private ServerProcess(Process process, string folder)
    {
        _process = process;
        Folder = folder;
        _output.Attach(process);
    }

    /// <summary>The program's folder.</summary>
    public string Folder { get; }

    /// <summary>What it printed so far.</summary>
    public string Output => _output.Text;

    /// <summary>Starts <paramref name="info"/> and waits until every port of <paramref name="ports"/> listens.</summary>
    public static async Task<ServerProcess> StartAsync(ProcessStartInfo info, string folder, params int[] ports)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        var server = new ServerProcess(Process.Start(info)!, folder);
        try
        {
            foreach (var port in ports)
                await FreePort.WaitListeningAsync(port, TimeSpan.FromSeconds(10));
        }
        catch (Exception e)
        {
            var output = server.Output;
            await server.DisposeAsync();
            throw new InvalidOperationException($"{info.FileName} did not start: {output}", e);
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
