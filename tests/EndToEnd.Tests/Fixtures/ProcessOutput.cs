using System.Diagnostics;
using System.Text;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>Collects a child process's output, for assertions and for failure messages.</summary>
public sealed class ProcessOutput
{
    private readonly StringBuilder _text = new();

    public void Attach(Process process)
    {
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Text
    {
        get
        {
            lock (_text)
                return _text.ToString();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_text)
            _text.AppendLine(line);
    }
}
