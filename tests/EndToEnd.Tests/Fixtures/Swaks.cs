using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>Runs swaks, the SMTP test tool from Debian's package, as a real client.</summary>
public static partial class Swaks
{
    public sealed record Result(int ExitCode, string Transcript)
    {
        /// <summary>The id from <c>250 OK id=...</c>, or null when there was none.</summary>
        public string? MessageId => IdReply().Match(Transcript) is { Success: true } m ? m.Groups[1].Value : null;
    }

    public static async Task<Result> SendAsync(int port, params string[] arguments)
    {
        var info = new ProcessStartInfo("swaks", ["--server", $"127.0.0.1:{port}", "--timeout", "60", .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new Result(process.ExitCode, await output + await error);
    }

    [GeneratedRegex(@"<-  250 OK id=(\S+)")]
    private static partial Regex IdReply();
}
