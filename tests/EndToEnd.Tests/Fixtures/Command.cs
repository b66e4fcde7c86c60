using System.Diagnostics;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>Runs a program to its end with text on its standard input.</summary>
public static class Command
{
    /// <summary>
    /// Starts <paramref name="program"/>, writes <paramref name="input"/> to it after
    /// <paramref name="delay"/> (for programs that must see their peer first), closes its
    /// input, and returns its exit code with its output followed by its error output.
    /// <paramref name="workingDirectory"/> is where it runs, when not here.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string program, IEnumerable<string> arguments, string input,
        TimeSpan delay = default, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = workingDirectory ?? "",
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (delay > TimeSpan.Zero)
            await Task.Delay(delay);
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
