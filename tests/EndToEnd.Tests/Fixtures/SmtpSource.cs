using System.Diagnostics;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// Postfix's smtp-source, run from the unpacked postfix package: <c>messages</c> messages of
/// about <c>size</c> bytes over <c>sessions</c> parallel sessions, one message per connection,
/// each with its own Message-Id (<c>&lt;pid.session.n@host&gt;</c>).
/// </summary>
public static class SmtpSource
{
    /// <summary>Starts it against 127.0.0.1:<paramref name="port"/>; await the task for its exit code and output.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(int port, int messages, int sessions, string from, string to, int size = 2048)
    {
        var root = TestEnvironment.PostfixRoot;
        var info = new ProcessStartInfo(Path.Combine(root, "usr/sbin/smtp-source"),
        [
            "-m", messages.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-s", sessions.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-l", size.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-f", from, "-t", to, $"127.0.0.1:{port}",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["LD_LIBRARY_PATH"] = Path.Combine(root, "usr/lib/postfix");
        return RunAsync(info);
    }

    private static async Task<(int, string)> RunAsync(ProcessStartInfo info)
    {
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
