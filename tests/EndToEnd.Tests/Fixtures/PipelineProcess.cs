using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// The pipeline executable running as a child process with the given configuration, as
/// ./run.sh or a container runs it.
/// </summary>
public sealed class PipelineProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ProcessOutput _output = new();

    private PipelineProcess(Process process) => _process = process;

    public string Output => _output.Text;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The CPU time the process has used so far, user and system.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>
    /// Waits until the process has written <paramref name="text"/> (10 s at most), and returns
    /// its output. The main log's line for an attempt is written after its outcome is committed,
    /// and the output reaches the test through a pipe: a test that saw the outcome in the store
    /// waits for the line rather than expecting it already read.
    /// </summary>
    public Task<string> WaitForOutputAsync(string text) =>
        WaitForOutputAsync(output => output.Contains(text, StringComparison.Ordinal), $"did not write '{text}'", TimeSpan.FromSeconds(10));

    /// <summary>As <see cref="WaitForOutputAsync(string)"/>, for a line matching <paramref name="pattern"/>.</summary>
    public Task<string> WaitForOutputAsync(System.Text.RegularExpressions.Regex pattern) =>
        WaitForOutputAsync(pattern.IsMatch, $"wrote nothing matching '{pattern}'", TimeSpan.FromSeconds(10));

    // Polls the output until it is seen; fails at once when the process exits first.
    private async Task<string> WaitForOutputAsync(Func<string, bool> seen, string failure, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var output = Output;
            if (seen(output))
                return output;
            if (_process.HasExited)
            {
                // Without a timeout, WaitForExit also waits for the output still being read.
                _process.WaitForExit();
                if (seen(Output))
                    return Output;
                throw new InvalidOperationException($"the pipeline exited with {_process.ExitCode}:\n{Output}");
            }

            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the pipeline {failure} within {limit.TotalSeconds} s:\n{output}");
            await Task.Delay(50);
        }
    }

    /// <summary>Starts the pipeline executable and waits until it says it started.</summary>
    public static Task<PipelineProcess> StartAsync(IReadOnlyDictionary<string, string> settings, TimeSpan? timeout = null) =>
        StartAsync(new ProcessStartInfo("dotnet", [TestEnvironment.PipelineDll]), settings, timeout);

    /// <summary>Starts <c>./run.sh</c>, as a newcomer does, and waits until the pipeline started.</summary>
    public static Task<PipelineProcess> StartRunScriptAsync(IReadOnlyDictionary<string, string> settings) =>
        StartAsync(new ProcessStartInfo("bash", [Path.Combine(TestEnvironment.RepositoryRoot, "run.sh")]), settings, TimeSpan.FromMinutes(3));

    private static async Task<PipelineProcess> StartAsync(ProcessStartInfo info, IReadOnlyDictionary<string, string> settings, TimeSpan? timeout)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.WorkingDirectory = TestEnvironment.RepositoryRoot;
        foreach (var (key, value) in settings)
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        var pipeline = new PipelineProcess(Process.Start(info)!);
        pipeline._output.Attach(pipeline._process);

        await pipeline.WaitForOutputAsync(output => output.Contains("Pipeline started", StringComparison.Ordinal), "did not start",
            timeout ?? TimeSpan.FromSeconds(60));
        return pipeline;
    }

    /// <summary>Kills the process at once (SIGKILL): no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>Asks the process to stop (SIGTERM), without waiting for it.</summary>
    public void Terminate() => _ = SendSignal(_process.Id, 15);

    /// <summary>Waits for the process to exit, and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    /// <summary>Asks the process to stop (SIGTERM) and waits for it.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
            return;
        _ = SendSignal(_process.Id, 15);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
