using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Pipeline.Contracts.Events;
using Pipeline.Delivery.Smtp;
using Pipeline.Delivery.Tls;
using Pipeline.Tests.Shared;

namespace Pipeline.Delivery.Tests.Smtp;

/// <summary>
/// Replays a transcript that plays the server to <see cref="SmtpTransport"/>, over a loopback
/// TCP connection (<see cref="SmtpClientConnection"/> only runs on sockets), and checks what the
/// transport reports for the one message it delivers.
/// <list type="bullet">
/// <item><c>S: reply line</c>: the server sends the line and CRLF; consecutive lines go in one write.</item>
/// <item><c>C: command</c>: the next line the client must send; <c>*</c> stands for any text.
/// Before each write of the server, the client must have sent nothing beyond the lines expected
/// so far: a client that does not wait for a reply (RFC 2920 allows that only within a group)
/// fails the transcript.</item>
/// <item><c>CLOSE</c>: the server closes the connection. Without it, the client must close
/// after the last line, having sent nothing more.</item>
/// <item><c>@from address</c>, <c>@to address [NOTIFY=..] [ORCPT=..]</c>, <c>@ret FULL|HDRS</c>,
/// <c>@envid text</c>, <c>@body 8BITMIME</c>: the message (its content is <see cref="Content"/>).</item>
/// <item><c>@option Name=Value</c>: a <see cref="DeliveryOptions"/> property (lists comma-separated).</item>
/// <item><c>=> open glob</c>: why opening the session failed (none expected without the line);
/// <c>=> host glob</c>: the transaction's host error; <c>=> address Status glob</c>: a
/// recipient's outcome and reply. Every recipient's outcome must be listed.</item>
/// <item><c># text</c> and blank lines are comments.</item>
/// </list>
/// The client says EHLO client.test to mx.test. Failures name the file and line.
/// </summary>
internal sealed class TranscriptServer
{
    /// <summary>The message delivered: 45 bytes, one line beginning with a dot.</summary>
    public const string Content = "Subject: transcript\r\n\r\nHello.\r\n.leading dot\r\n";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly string _name;
    private readonly List<Step> _steps = [];
    private readonly List<(int Line, string Address, RecipientStatus Status, string Reply)> _outcomes = [];
    private readonly List<Recipient> _recipients = [];
    private readonly DeliveryOptions _options = new()
    {
        HeloData = "client.test",
        CommandTimeout = Timeout,
        FinalTimeout = Timeout,
        ConnectTimeout = Timeout,
    };
    private string _sender = "sender@example.org";
    private string? _return;
    private string? _envelopeId;
    private string _body = "7BIT";
    private (int Line, string Error)? _openError;
    private (int Line, string Error)? _hostError;

    private TranscriptServer(string name) => _name = name;

    private sealed record Step(int Line, string Kind, string Text);

    /// <summary>Reads a transcript; throws on a line it does not understand.</summary>
    public static TranscriptServer Load(string path, string name)
    {
        var server = new TranscriptServer(name);
        TranscriptFile.Read(path, name, server.Parse);
        if (server._recipients.Count == 0)
            throw server.Error(TranscriptFile.LineCount(path), "no @to line");
        server._options.Validate();
        return server;
    }

    private bool Parse(int number, string line)
    {
        if (line.StartsWith("S: ", StringComparison.Ordinal))
            _steps.Add(new Step(number, "S", line[3..]));
        else if (line.StartsWith("C: ", StringComparison.Ordinal))
            _steps.Add(new Step(number, "C", line[3..]));
        else if (line == "CLOSE")
            _steps.Add(new Step(number, "CLOSE", ""));
        else if (line.StartsWith("@from ", StringComparison.Ordinal))
            _sender = line[6..];
        else if (line.StartsWith("@to ", StringComparison.Ordinal))
            _recipients.Add(Recipient(line[4..]));
        else if (line.StartsWith("@ret ", StringComparison.Ordinal))
            _return = line[5..];
        else if (line.StartsWith("@envid ", StringComparison.Ordinal))
            _envelopeId = line[7..];
        else if (line.StartsWith("@body ", StringComparison.Ordinal))
            _body = line[6..];
        else if (line.StartsWith("@option ", StringComparison.Ordinal))
            TranscriptFile.SetOption(_options, _name, number, line[8..]);
        else if (line.StartsWith("=> open ", StringComparison.Ordinal))
            _openError = (number, line[8..]);
        else if (line.StartsWith("=> host ", StringComparison.Ordinal))
            _hostError = (number, line[8..]);
        else if (line.StartsWith("=> ", StringComparison.Ordinal) && line[3..].Split(' ', 3) is [var address, var status, var reply]
                 && Enum.TryParse<RecipientStatus>(status, out var parsed))
            _outcomes.Add((number, address, parsed, reply));
        else
            return false;
        return true;
    }

    private static Recipient Recipient(string text)
    {
        var words = text.Split(' ');
        var recipient = Contracts.Events.Recipient.Parse(words[0]);
        foreach (var word in words.Skip(1))
        {
            recipient = word.Split('=', 2) switch
            {
                ["NOTIFY", var notify] => recipient with { Notify = notify },
                ["ORCPT", var original] => recipient with { OriginalRecipient = original },
                _ => throw new FormatException($"unknown recipient parameter {word}"),
            };
        }

        return recipient;
    }

    private InvalidOperationException Error(int line, string what) => TranscriptFile.Error(_name, line, what);

    private void Fail(int line, string what) => Assert.Fail($"{_name}:{line}: {what}");

    /// <summary>Delivers the message to the transcript's server; fails the test at the first difference.</summary>
    public async Task RunAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endPoint = (IPEndPoint)listener.LocalEndpoint;
        var serving = Task.Run(() => ServeAsync(listener));

        var transport = new SmtpTransport(_options, TimeProvider.System);
        var message = new MessageReceived("transcript-message", "conn-transcript", _sender, _recipients, Content.Length, "192.0.2.10", 40_000,
            "client.example", "esmtp", "192.0.2.25", 25, DateTimeOffset.UnixEpoch, BodyType: _body, DsnReturn: _return, DsnEnvelopeId: _envelopeId);
        var connection = await SmtpClientConnection.ConnectAsync(endPoint, Timeout, [], null, CancellationToken.None);
        connection.HostName = "mx.test";
        connection.Key = ConnectionKey.For(endPoint, null, "mx.test",
            new TlsHostPolicy(false, false, false, false, false, false, false, false, false), DaneRequirement.None);
        var opened = await transport.OpenAsync(connection, tryTls: false, null, null, CancellationToken.None);
        TransportResult? result = null;
        if (opened.HostError is null)
            result = await transport.SendAsync(connection, message, _recipients, Encoding.ASCII.GetBytes(Content), CancellationToken.None);
        // As the deliverer does once done with a connection, whatever happened.
        await transport.CloseAsync(connection, CancellationToken.None);

        // What the server saw comes first: it explains what the client then reports.
        await serving.WaitAsync(Timeout * 2);

        var lastLine = _steps.Count == 0 ? 0 : _steps[^1].Line;
        if (!Matches(_openError?.Error, opened.HostError))
            Fail(_openError?.Line ?? lastLine, $"opening the session: expected {Describe(_openError?.Error)}, the transport reported {Describe(opened.HostError)}");
        if (result is null)
        {
            if (_hostError is not null || _outcomes.Count > 0)
                Fail(_hostError?.Line ?? _outcomes[0].Line, "no transaction was made: the session did not open");
            return;
        }

        if (!Matches(_hostError?.Error, result.HostError))
            Fail(_hostError?.Line ?? lastLine, $"the transaction: expected {Describe(_hostError?.Error)}, the transport reported {Describe(result.HostError)}");
        foreach (var (line, address, status, reply) in _outcomes)
        {
            var outcome = result.Recipients.FirstOrDefault(r => r.Recipient.Address == address);
            if (outcome is null)
                Fail(line, $"no outcome for {address}; outcomes: {Describe(result)}");
            else if (outcome.Status != status || !TranscriptFile.Glob(reply, outcome.Reply))
                Fail(line, $"expected {address} {status} \"{reply}\"\n  but the transport reported {outcome.Status} \"{outcome.Reply}\"");
        }

        var unexpected = result.Recipients.Where(r => !_outcomes.Any(o => o.Address == r.Recipient.Address)).ToList();
        if (unexpected.Count > 0)
            Fail(lastLine, $"outcomes not in the transcript: {Describe(result with { Recipients = unexpected })}");
    }

    private static bool Matches(string? pattern, string? actual) => pattern is null ? actual is null : actual is not null && TranscriptFile.Glob(pattern, actual);

    private static string Describe(string? error) => error is null ? "no error" : $"\"{error}\"";

    private static string Describe(TransportResult result) =>
        string.Join("; ", result.Recipients.Select(r => $"{r.Recipient.Address} {r.Status} \"{r.Reply}\""));

    // The server's side: one connection, played as the transcript says.
    private async Task ServeAsync(TcpListener listener)
    {
        using var accept = new CancellationTokenSource(Timeout);
        using var socket = await listener.AcceptSocketAsync(accept.Token);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var input = PipeReader.Create(stream);
        var output = new StringBuilder();
        var lastExpected = 0;
        foreach (var step in _steps)
        {
            if (step.Kind != "S" && output.Length > 0)
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(output.ToString()));
                output.Clear();
            }

            switch (step.Kind)
            {
                case "S":
                    // Replies are sent only to what was asked: a client that sent more did not wait for them.
                    if (output.Length == 0 && input.TryRead(out var ahead))
                    {
                        var early = ahead.Buffer;
                        input.AdvanceTo(early.Start);
                        if (!early.IsEmpty)
                            Fail(step.Line, $"the client sent \"{Printable(early)}\" before this reply (after line {lastExpected})");
                    }

                    output.Append(step.Text).Append("\r\n");
                    break;
                case "C":
                    var (line, problem) = await ReadLineAsync(input);
                    if (line is null)
                        Fail(step.Line, $"expected \"{step.Text}\", but {problem}");
                    if (!TranscriptFile.Glob(step.Text, line!))
                        Fail(step.Line, $"expected \"{step.Text}\"\n  but the client sent \"{line}\"");
                    lastExpected = step.Line;
                    break;
                case "CLOSE":
                    socket.Close();
                    return;
            }
        }

        if (output.Length > 0)
            await stream.WriteAsync(Encoding.UTF8.GetBytes(output.ToString()));

        // The transcript is over: the client must close without another word.
        var (extra, _) = await ReadLineAsync(input);
        if (extra is not null)
            Fail(_steps.Count == 0 ? 0 : _steps[^1].Line, $"after the transcript's last line the client sent \"{extra}\"");
    }

    // A line without its CRLF, or null with what happened instead.
    private static async Task<(string? Line, string Problem)> ReadLineAsync(PipeReader input)
    {
        using var wait = new CancellationTokenSource(Timeout);
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(wait.Token);
                var buffer = result.Buffer;
                if (buffer.PositionOf((byte)'\n') is { } newline)
                {
                    var text = Encoding.UTF8.GetString(buffer.Slice(0, newline));
                    input.AdvanceTo(buffer.GetPosition(1, newline));
                    return (text.EndsWith('\r') ? text[..^1] : text + "<bare LF>", "");
                }

                var closed = !result.IsCompleted ? null
                    : buffer.IsEmpty ? "the client closed the connection" : $"the client closed after \"{Printable(buffer)}\"";
                input.AdvanceTo(buffer.Start, buffer.End);
                if (closed is not null)
                    return (null, closed);
            }
        }
        catch (OperationCanceledException)
        {
            return (null, $"the client sent nothing more in {Timeout.TotalSeconds:0} s");
        }
        catch (IOException e)
        {
            return (null, $"the connection broke: {e.Message}");
        }
    }

    private static string Printable(ReadOnlySequence<byte> bytes) =>
        Encoding.UTF8.GetString(bytes).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
