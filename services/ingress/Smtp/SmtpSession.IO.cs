using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Smtp;

// Reading commands and content, writing replies; every wait bounded.
public sealed partial class SmtpSession
{
    private PipeReader Input => _input;

    // A command line, whether more input was already waiting behind it (pipelined), and what
    // is wrong with its bytes (invalid UTF-8 is decoded with replacement characters). The whole
    // line must come within smtp_receive_timeout: a client dripping a byte at a time (slowloris)
    // would otherwise hold its connection for as long as the line limit lets it drip.
    private async Task<(string? Line, bool Pipelined, CommandDefect Defect)> ReadCommandLineAsync(CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + _options.SmtpReceiveTimeout;
        while (true)
        {
            var result = await ReadAsync(deadline, ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            switch (LineReader.TryRead(ref buffer, _options.CommandLineMax, out var line))
            {
                case LineResult.Line:
                    var text = Encoding.UTF8.GetString(line);
                    var defect = SmtpCommand.Inspect(line);
                    var pipelined = buffer.Length > 0;
                    Input.AdvanceTo(buffer.Start);
                    return (text, pipelined, defect);
                case LineResult.TooLong:
                    // Past the limit the rest of the input cannot be trusted to be framed.
                    Input.AdvanceTo(buffer.End);
                    _closing = true;
                    _closeReason = "line too long";
                    await ReplyAsync(SmtpReplies.LineTooLong, ct).ConfigureAwait(false);
                    return (null, false, CommandDefect.None);
                default:
                    Input.AdvanceTo(buffer.Start, buffer.End);
                    if (result.IsCompleted)
                        return (null, false, CommandDefect.None);
                    break;
            }
        }
    }

    private async Task ReadDataAsync(MessageContent content, CancellationToken ct)
    {
        while (true)
        {
            var result = await ReadAsync(content.Deadline, ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (content.Decoder.Decode(ref buffer, content.Bytes))
            {
                // What follows the terminator is the next command: consumed nothing of it, examined nothing.
                Input.AdvanceTo(buffer.Start);
                return;
            }

            Input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
                throw new IOException("connection closed during DATA");
        }
    }

    // Reads exactly size octets of a BDAT chunk into content, or discards them when null.
    private async Task ReadChunkAsync(long size, MessageContent? content, CancellationToken ct)
    {
        var deadline = content?.Deadline ?? DateTimeOffset.UtcNow + _options.SmtpDataTimeout;
        var remaining = size;
        while (remaining > 0)
        {
            var result = await ReadAsync(deadline, ct).ConfigureAwait(false);
            var chunk = result.Buffer.Slice(0, Math.Min(remaining, result.Buffer.Length));
            if (content is not null)
            {
                var rest = chunk;
                content.Decoder.Decode(ref rest, content.Bytes);
            }

            remaining -= chunk.Length;
            Input.AdvanceTo(chunk.End);
            if (remaining > 0 && result.IsCompleted)
                throw new IOException("connection closed during BDAT");
        }
    }

    // One read, bounded by smtp_receive_timeout and, during content, by the phase's deadline.
    private async Task<ReadResult> ReadAsync(DateTimeOffset? deadline, CancellationToken ct)
    {
        var wait = _options.SmtpReceiveTimeout;
        if (deadline is { } end)
        {
            var left = end - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new ReceiveTimeoutException();
            wait = left < wait ? left : wait;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(wait);
        try
        {
            return await Input.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ReceiveTimeoutException();
        }
    }

    private Task ReplyAsync(SmtpReply reply, CancellationToken ct) => WriteAsync(reply.Write(EnhancedStatusCodes), ct);

    // The reply to EHLO: a greeting line, then one keyword per line (RFC 5321 §4.1.1.1).
    private Task ReplyAsync(int code, IReadOnlyList<string> lines, CancellationToken ct) =>
        WriteAsync(new SmtpReply(code, null, string.Join('\n', lines)).Write(enhanced: false), ct);

    // RFC 2034 §3: enhanced codes only once the extension was advertised in reply to EHLO.
    private bool EnhancedStatusCodes => _extended && _options.EnhancedStatusCodes;

    private async Task WriteAsync(string text, CancellationToken ct) =>
        await _output.WriteAsync(Encoding.UTF8.GetBytes(text), ct).ConfigureAwait(false);

    private async Task TryReplyAsync(SmtpReply reply)
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
