using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Smtp;

public sealed partial class SmtpSession
{
    private PipeReader Input => _transport.Input;

    private async Task<string?> ReadCommandLineAsync(CancellationToken ct)
    {
        while (true)
        {
            var result = await ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            switch (LineReader.TryRead(ref buffer, _options.CommandLineMax, out var line))
            {
                case LineResult.Line:
                    var text = Encoding.UTF8.GetString(line);
                    Input.AdvanceTo(buffer.Start);
                    return text;
                case LineResult.TooLong:
                    // Past the limit the rest of the input cannot be trusted to be framed.
                    Input.AdvanceTo(buffer.End);
                    _closing = true;
                    _closeReason = "line too long";
                    await ReplyAsync(SmtpReplies.LineTooLong, ct).ConfigureAwait(false);
                    return null;
                default:
                    Input.AdvanceTo(buffer.Start, buffer.End);
                    if (result.IsCompleted)
                        return null;
                    break;
            }
        }
    }

    private async Task ReadDataAsync(DataDecoder decoder, IBufferWriter<byte> content, CancellationToken ct)
    {
        while (true)
        {
            var result = await ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            var done = decoder.Decode(ref buffer, content);
            Input.AdvanceTo(buffer.Start, buffer.End);
            if (done)
                return;
            if (result.IsCompleted)
                throw new IOException("connection closed during DATA");
        }
    }

    // One read, bounded by smtp_receive_timeout.
    private async Task<ReadResult> ReadAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.SmtpReceiveTimeout);
        try
        {
            return await Input.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ReceiveTimeoutException();
        }
    }

    private Task ReplyAsync(string reply, CancellationToken ct) => WriteAsync(reply + "\r\n", ct);

    // A multi-line reply: code-text lines, then code SP text (RFC 5321 §4.2.1).
    private Task ReplyAsync(CancellationToken ct, string code, params string[] lines)
    {
        var text = new StringBuilder();
        for (var i = 0; i < lines.Length; i++)
            text.Append(code).Append(i == lines.Length - 1 ? ' ' : '-').Append(lines[i]).Append("\r\n");
        return WriteAsync(text.ToString(), ct);
    }

    private async Task WriteAsync(string text, CancellationToken ct)
    {
        await _transport.Output.WriteAsync(Encoding.UTF8.GetBytes(text), ct).ConfigureAwait(false);
    }

    private async Task TryReplyAsync(string reply)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await ReplyAsync(reply, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The client is gone; nothing more to tell it.
        }
    }

    private sealed class ReceiveTimeoutException : Exception;
}
