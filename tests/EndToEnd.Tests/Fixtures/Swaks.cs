using System.Text.RegularExpressions;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>Runs swaks, the SMTP test tool from Debian's package, as a real client.</summary>
public static partial class Swaks
{
    public sealed record Result(int ExitCode, string Transcript)
    {
        /// <summary>The id from <c>250 2.0.0 OK id=...</c>, or null when there was none.</summary>
        public string? MessageId => IdReply().Match(Transcript) is { Success: true } m ? m.Groups[1].Value : null;

        /// <summary>Asserts that the server refused with <paramref name="reply"/> and accepted no message.</summary>
        public void AssertRefusedWith(string reply)
        {
            Assert.Contains($"<** {reply}", Transcript, StringComparison.Ordinal);
            Assert.Null(MessageId);
        }
    }

    /// <summary>Runs swaks against 127.0.0.1:<paramref name="port"/>; <paramref name="data"/>, when given, is the message (<c>--data -</c>).</summary>
    public static async Task<Result> SendAsync(int port, string? data, params string[] arguments)
    {
        string[] fromInput = data is null ? [] : ["--data", "-"];
        var (exitCode, output) = await Command.RunAsync("swaks", ["--server", $"127.0.0.1:{port}", "--timeout", "60", .. arguments, .. fromInput], data ?? "");
        return new Result(exitCode, output);
    }

    /// <summary>
    /// Sends with <paramref name="send"/> until a message is accepted, as a client retries a
    /// temporary refusal, at most <paramref name="tries"/> times; every refusal must match
    /// <paramref name="refusal"/>. Returns the accepted try.
    /// </summary>
    public static async Task<Result> UntilAcceptedAsync(Func<Task<Result>> send, string refusal, int tries)
    {
        for (var i = 1; ; i++)
        {
            var result = await send();
            if (result.MessageId is not null)
                return result;
            Assert.Matches(refusal, result.Transcript);
            Assert.True(i < tries, $"no message accepted in {tries} tries:\n{result.Transcript}");
        }
    }

    [GeneratedRegex(@"<[-~]  250 2\.0\.0 OK id=(\S+)")]
    private static partial Regex IdReply();
}
