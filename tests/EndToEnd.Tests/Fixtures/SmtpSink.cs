using System.Diagnostics;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// Postfix's smtp-sink, run from the unpacked postfix package: accepts every message and
/// dumps each one into a folder (with its own X-* and Received headers on top, LF line ends).
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ProcessOutput _output = new();

    private SmtpSink(Process process, int port, string folder)
    {
        _process = process;
        Port = port;
        Folder = folder;
    }

    public int Port { get; }

    public string Folder { get; }

    /// <summary>
    /// Starts a sink on 127.0.0.1:<paramref name="port"/> (a new free port when 0);
    /// <paramref name="options"/> go to smtp-sink, e.g. <c>-f RCPT</c> to refuse recipients with 5xx.
    /// </summary>
    public static async Task<SmtpSink> StartAsync(int port = 0, params string[] options)
    {
        port = port == 0 ? FreePort.Next() : port;
        var folder = Directory.CreateTempSubdirectory("pipeline-sink-").FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)0x1FF); // smtp-sink writes as nobody
        var root = TestEnvironment.PostfixRoot;
        var info = new ProcessStartInfo(Path.Combine(root, "usr/sbin/smtp-sink"),
            ["-u", "nobody", "-d", Path.Combine(folder, "%M."), .. options, $"127.0.0.1:{port}", "100"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["LD_LIBRARY_PATH"] = Path.Combine(root, "usr/lib/postfix");
        var sink = new SmtpSink(Process.Start(info)!, port, folder);
        sink._output.Attach(sink._process);
        await FreePort.WaitListeningAsync(port, TimeSpan.FromSeconds(10));
        return sink;
    }

    /// <summary>
    /// The messages dumped so far, whole: smtp-sink writes a dump while the message arrives, so
    /// a file it still holds open is left out. (Listed first, then the open files: a listed file
    /// not open by then was closed, and is complete.)
    /// </summary>
    public IReadOnlyList<string> Messages => CompleteFiles.Select(File.ReadAllText).ToList();

    /// <summary>The messages dumped so far, whole, as the bytes the sink received.</summary>
    public IReadOnlyList<byte[]> RawMessages => CompleteFiles.Select(File.ReadAllBytes).ToList();

    /// <summary>The dump files smtp-sink has finished writing, in name order.</summary>
    public IReadOnlyList<string> CompleteFiles
    {
        get
        {
            var files = Directory.GetFiles(Folder);
            var open = Directory.GetFiles($"/proc/{_process.Id}/fd")
                .Select(fd => new FileInfo(fd).LinkTarget).Where(t => t is not null).ToHashSet();
            return files.Where(f => !open.Contains(f)).Order().ToList();
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> messages arrived.</summary>
    public async Task<IReadOnlyList<string>> WaitForMessagesAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Messages.Count < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"smtp-sink got {Messages.Count} of {count} messages; its output:\n{_output.Text}");
            await Task.Delay(100);
        }

        return Messages;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
