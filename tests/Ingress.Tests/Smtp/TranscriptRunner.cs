using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts.Events;
using Pipeline.Contracts.Policy;
using Pipeline.Infrastructure.Store;
using Pipeline.Ingress.Auth;
using Pipeline.Ingress.Protocol;
using Pipeline.Ingress.Smtp;
using Pipeline.Ingress.Spool;
using Pipeline.Ingress.Tls;
using Pipeline.Ingress.Verdicts;
using Pipeline.Tests.Shared;

namespace Pipeline.Ingress.Tests.Smtp;

/// <summary>
/// Replays a transcript against one <see cref="SmtpSession"/> running on in-memory pipes: no
/// socket, no store, no bus. The transcript plays the client and says what the server must answer.
/// <list type="bullet">
/// <item><c>C: text</c>: the client sends text and CRLF. Consecutive client lines go in one
/// write, as a pipelining client sends a group; a reply line between them makes two writes.</item>
/// <item><c>C~ text</c>: the client sends text as it is, no CRLF added, with the escapes
/// <c>\r \n \t \\ \xHH</c> (bare line endings, NUL, invalid UTF-8).</item>
/// <item><c>S: reply line</c>: the next line the server sends. <c>*</c> stands for any text
/// (ids, dates), but the code and enhanced status code are compared as written.</item>
/// <item><c>HANGUP</c>: the client closes its side of the connection.</item>
/// <item><c>CLOSE</c>: the server ends the session here: nothing more comes, its side closes.
/// Every transcript ends so (only <c>STORED</c> may follow).</item>
/// <item><c>TLS</c>: the client negotiates TLS (after the server's 220 to STARTTLS).</item>
/// <item><c>STORED n [Property=value ...]</c>: n messages were committed so far, each with CRLF
/// line endings only; the last one's <see cref="MessageReceived"/> has each property as written.</item>
/// <item><c>@option Name=Value</c>: an <see cref="IngressOptions"/> property (lists comma-separated,
/// dictionaries <c>key=value</c>).</item>
/// <item><c>@policy Stage Action [to=rcpt] [from=sender] [filter=name] [message]</c>: the verdict
/// at a stage, for a recipient or sender when given; the first rule that fits wins, accept otherwise.</item>
/// <item><c>@tls</c>: the server has a (self-signed) certificate and offers STARTTLS.</item>
/// <item><c>@spool fail</c>: every commit fails.</item>
/// <item><c># text</c> and blank lines are comments.</item>
/// </list>
/// The client is 192.0.2.10, the server mx.test with the local domain example.test.
/// Failures name the file and line.
/// </summary>
internal sealed class TranscriptRunner
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    private readonly string _name;
    private readonly List<Step> _steps = [];
    private readonly List<PolicyRule> _rules = [];
    private readonly IngressOptions _options = new()
    {
        PrimaryHostname = "mx.test",
        LocalDomains = ["example.test"],
    };
    private bool _tls;
    private bool _spoolFails;

    private TranscriptRunner(string name) => _name = name;

    private sealed record Step(int Line, string Kind, string Text);

    private sealed record PolicyRule(PolicyStage Stage, PolicyAction Action, string? Recipient, string? Sender, string? Filter, string? Message);

    /// <summary>Reads a transcript; throws on a line it does not understand.</summary>
    public static TranscriptRunner Load(string path, string name)
    {
        var runner = new TranscriptRunner(name);
        TranscriptFile.Read(path, name, runner.Parse);
        var close = runner._steps.FindIndex(s => s.Kind == "CLOSE");
        if (close < 0 || runner._steps.Skip(close + 1).Any(s => s.Kind != "STORED"))
            throw runner.Error(TranscriptFile.LineCount(path), "a transcript ends with CLOSE, followed by nothing but STORED");
        return runner;
    }

    private bool Parse(int number, string line)
    {
        if (line is "C:" or "C: ")
            _steps.Add(new Step(number, "C", ""));
        else if (line.StartsWith("C: ", StringComparison.Ordinal))
            _steps.Add(new Step(number, "C", line[3..]));
        else if (line.StartsWith("C~ ", StringComparison.Ordinal))
            _steps.Add(new Step(number, "C~", line[3..]));
        else if (line.StartsWith("S: ", StringComparison.Ordinal))
        {
            if (line.Length < 6 || line[3..6].Contains('*'))
                throw Error(number, "a reply line starts with its code, written out");
            _steps.Add(new Step(number, "S", line[3..]));
        }
        else if (line is "CLOSE" or "TLS" or "HANGUP")
            _steps.Add(new Step(number, line, ""));
        else if (line.StartsWith("STORED ", StringComparison.Ordinal))
            _steps.Add(new Step(number, "STORED", line[7..]));
        else if (line.StartsWith("@option ", StringComparison.Ordinal))
            TranscriptFile.SetOption(_options, _name, number, line[8..]);
        else if (line.StartsWith("@policy ", StringComparison.Ordinal))
            _rules.Add(Rule(number, line[8..]));
        else if (line == "@tls")
            _tls = true;
        else if (line == "@spool fail")
            _spoolFails = true;
        else
            return false;
        return true;
    }

    private InvalidOperationException Error(int line, string what) => TranscriptFile.Error(_name, line, what);

    private PolicyRule Rule(int line, string text)
    {
        var words = new Queue<string>(text.Split(' '));
        if (words.Count < 2 || !Enum.TryParse<PolicyStage>(words.Dequeue(), out var stage) || !Enum.TryParse<PolicyAction>(words.Dequeue(), out var action))
            throw Error(line, "expected @policy Stage Action [to=rcpt] [from=sender] [filter=name] [message]");
        string? recipient = null, sender = null, filter = null;
        while (words.TryPeek(out var word) && word.Contains('=', StringComparison.Ordinal) && word.Split('=')[0] is "to" or "from" or "filter")
        {
            words.Dequeue();
            var value = word[(word.IndexOf('=') + 1)..];
            _ = word[..word.IndexOf('=')] switch
            {
                "to" => recipient = value,
                "from" => sender = value,
                _ => filter = value,
            };
        }

        return new PolicyRule(stage, action, recipient, sender, filter, words.Count == 0 ? null : string.Join(' ', words));
    }

    /// <summary>Runs the conversation; fails the test at the first difference.</summary>
    public async Task RunAsync()
    {
        var policy = new TranscriptPolicy(_rules);
        using var provider = new ServiceCollection().AddSingleton<IPolicyService>(policy).BuildServiceProvider();
        var spool = new MemorySpool(_spoolFails);
        using var closedConnections = new StreamEventWriter(null!, NullLogger<StreamEventWriter>.Instance);
        var toServer = new Pipe();
        var toClient = new Pipe();
        var session = new SmtpSession(new DuplexPipe(toServer.Reader, toClient.Writer),
            new IPEndPoint(IPAddress.Parse("192.0.2.10"), 40_000), new IPEndPoint(IPAddress.Parse("192.0.2.25"), 25), "conn-transcript",
            _options, new PolicyClient(provider, _options, NullLogger<PolicyClient>.Instance), spool, closedConnections,
            new IngressLists(_options), Certificates(), new Credentials(_options), new AuthThrottle(_options, TimeProvider.System),
            NullLogger<SmtpSession>.Instance);

        // Kestrel's part: once the handler returns, the connection's output is completed.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var running = Task.Run(async () =>
        {
            try
            {
                await session.RunAsync(CancellationToken.None, deadline.Token);
            }
            finally
            {
                await toClient.Writer.CompleteAsync();
            }
        });

        var client = new ClientSide(new DuplexPipeStream(toClient.Reader, toServer.Writer));
        using var pending = new MemoryStream();
        try
        {
            var pendingLine = 0;
            foreach (var step in _steps)
            {
                if (step.Kind is "C" or "C~")
                {
                    var bytes = step.Kind == "C" ? Encoding.UTF8.GetBytes(step.Text + "\r\n") : Unescape(step.Line, step.Text);
                    pending.Write(bytes);
                    if (pendingLine == 0)
                        pendingLine = step.Line;
                    continue;
                }

                if (pending.Length > 0)
                {
                    await client.WriteAsync(pending.ToArray(), () => Fail(pendingLine, "the server stopped reading"));
                    pending.SetLength(0);
                    pendingLine = 0;
                }

                switch (step.Kind)
                {
                    case "S":
                        var (reply, problem) = await client.ReadLineAsync(ReplyTimeout);
                        if (reply is null)
                            Fail(step.Line, $"expected \"{step.Text}\", but {problem}");
                        if (!ReplyMatches(step.Text, reply!))
                            Fail(step.Line, $"expected \"{step.Text}\"\n  but the server sent \"{Printable(reply!)}\"");
                        break;
                    case "CLOSE":
                        var (extra, _) = await client.ReadLineAsync(ReplyTimeout);
                        if (extra is not null)
                            Fail(step.Line, $"expected the server to close the connection, but it sent \"{Printable(extra)}\"");
                        await Finished(running, step.Line);
                        break;
                    case "HANGUP":
                        await toServer.Writer.CompleteAsync();
                        break;
                    case "TLS":
                        await client.StartTlsAsync(step.Line, Fail);
                        break;
                    case "STORED":
                        spool.Check(step.Line, step.Text, Fail);
                        break;
                }
            }
        }
        finally
        {
            // A failed transcript leaves no session waiting for its client.
            await toServer.Writer.CompleteAsync();
        }
    }

    private async Task Finished(Task running, int line)
    {
        try
        {
            await running.WaitAsync(ReplyTimeout);
        }
        catch (TimeoutException)
        {
            Fail(line, "the session did not end");
        }
        catch (Exception e)
        {
            Fail(line, $"the session failed: {e}");
        }
    }

    private void Fail(int line, string what) => Assert.Fail($"{_name}:{line}: {what}");

    private ServerCertificates Certificates()
    {
        if (!_tls)
            return new ServerCertificates(_options, NullLogger<ServerCertificates>.Instance);

        // A self-signed certificate for mx.test, read from files as the service reads it.
        var directory = Directory.CreateTempSubdirectory("transcript-tls-");
        try
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=mx.test", key, HashAlgorithmName.SHA256);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            var certificateFile = Path.Combine(directory.FullName, "cert.pem");
            var keyFile = Path.Combine(directory.FullName, "key.pem");
            File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
            File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
            _options.TlsCertificate = [certificateFile];
            _options.TlsPrivateKey = [keyFile];
            return new ServerCertificates(_options, NullLogger<ServerCertificates>.Instance);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>
    /// True when <paramref name="actual"/> is the reply line <paramref name="pattern"/> describes:
    /// the same code and separator and the same enhanced status code, then text in which
    /// <c>*</c> matches any run of characters.
    /// </summary>
    public static bool ReplyMatches(string pattern, string actual)
    {
        if (actual.Length <= 4 || pattern.Length <= 4)
            return actual == pattern;
        if (!actual.AsSpan(0, 4).SequenceEqual(pattern.AsSpan(0, 4)))
            return false;
        var enhanced = EnhancedStatus.Measure(actual.AsSpan(4));
        if (EnhancedStatus.Measure(pattern.AsSpan(4)) != enhanced || !actual.AsSpan(4, enhanced).SequenceEqual(pattern.AsSpan(4, enhanced)))
            return false;
        return TranscriptFile.Glob(pattern[(4 + enhanced)..], actual[(4 + enhanced)..]);
    }

    private byte[] Unescape(int line, string text)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
                continue;
            }

            if (++i >= text.Length)
                throw Error(line, "a backslash ends the line");
            switch (text[i])
            {
                case 'r': bytes.Add((byte)'\r'); break;
                case 'n': bytes.Add((byte)'\n'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case '\\': bytes.Add((byte)'\\'); break;
                case 'x' when i + 2 < text.Length:
                    bytes.Add(byte.Parse(text.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 2;
                    break;
                default:
                    throw Error(line, $"unknown escape \\{text[i]}");
            }
        }

        return [.. bytes];
    }

    private static string Printable(string text) =>
        string.Concat(text.Select(c => c is < ' ' or '\x7f' ? $"\\x{(int)c:X2}" : c.ToString()));

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    // The policy service as the transcript's @policy lines describe it.
    private sealed class TranscriptPolicy(List<PolicyRule> rules) : IPolicyService
    {
        public Task<PolicyVerdict> CheckAsync(CheckPolicy check, CancellationToken cancellationToken)
        {
            var rule = rules.FirstOrDefault(r => r.Stage == check.Stage
                && (r.Recipient is null || string.Equals(r.Recipient, check.Recipient, StringComparison.OrdinalIgnoreCase))
                && (r.Sender is null || string.Equals(r.Sender, check.Sender, StringComparison.OrdinalIgnoreCase)));
            return Task.FromResult(rule is null ? PolicyVerdict.Accepted : new PolicyVerdict(rule.Action, rule.Message, ContentFilter: rule.Filter));
        }
    }

    // What MessageSpooler would commit, kept in memory.
    private sealed class MemorySpool(bool fails) : IMessageSpool
    {
        private readonly List<(MessageReceived Received, byte[] Data)> _messages = [];

        public Task CommitAsync(MessageReceived received, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            if (fails)
                throw new IOException("the transcript's store is out of order");
            lock (_messages)
                _messages.Add((received, data.ToArray()));
            return Task.CompletedTask;
        }

        public void Check(int line, string text, Action<int, string> fail)
        {
            var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var expected = int.Parse(words[0], CultureInfo.InvariantCulture);
            lock (_messages)
            {
                if (_messages.Count != expected)
                    fail(line, $"expected {expected} stored messages, found {_messages.Count}");
                foreach (var word in words.Skip(1))
                {
                    var (name, value) = word.Split('=', 2) is [var n, var v] ? (n, v) : throw new FormatException($"line {line}: expected Property=value, not {word}");
                    var property = typeof(MessageReceived).GetProperty(name) ?? throw new FormatException($"line {line}: MessageReceived has no {name}");
                    var actual = Convert.ToString(property.GetValue(_messages[^1].Received), CultureInfo.InvariantCulture);
                    if (actual != value)
                        fail(line, $"expected the last stored message's {name} to be {value}, found {actual ?? "null"}");
                }

                foreach (var (received, data) in _messages)
                {
                    for (var i = 0; i < data.Length; i++)
                    {
                        if ((data[i] == '\r' && (i + 1 == data.Length || data[i + 1] != '\n')) || (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')))
                            fail(line, $"message {received.MessageId} was stored with a bare CR or LF at byte {i}");
                    }
                }
            }
        }
    }

    // The client's end: writes groups of lines, reads reply lines, and can switch to TLS.
    private sealed class ClientSide(Stream stream)
    {
        private Stream _stream = stream;
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task WriteAsync(byte[] bytes, Action failed)
        {
            try
            {
                await _stream.WriteAsync(bytes);
                await _stream.FlushAsync();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                failed();
            }
        }

        // A line without its CRLF, or null with what happened instead.
        public async Task<(string? Line, string Problem)> ReadLineAsync(TimeSpan timeout)
        {
            using var wait = new CancellationTokenSource(timeout);
            while (true)
            {
                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (newline >= 0)
                {
                    var length = newline - _start;
                    var bare = length == 0 || _buffer[newline - 1] != '\r';
                    var line = Encoding.UTF8.GetString(_buffer, _start, bare ? length : length - 1);
                    _start = newline + 1;
                    return (bare ? line + "<bare LF>" : line, "");
                }

                if (_start > 0)
                {
                    Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }

                int read;
                try
                {
                    read = await _stream.ReadAsync(_buffer.AsMemory(_end), wait.Token);
                }
                catch (OperationCanceledException)
                {
                    return (null, $"the server sent nothing more in {timeout.TotalSeconds:0} s");
                }
                catch (IOException e)
                {
                    return (null, $"the connection broke: {e.Message}");
                }

                if (read == 0)
                {
                    if (_end > _start)
                    {
                        var rest = Encoding.UTF8.GetString(_buffer, _start, _end - _start);
                        _start = _end;
                        return (rest + "<no CRLF>", "");
                    }

                    return (null, "the server closed the connection");
                }

                _end += read;
            }
        }

        public async Task StartTlsAsync(int line, Action<int, string> fail)
        {
            if (_end > _start)
                fail(line, "the server sent more after its 220 to STARTTLS");
            var ssl = new SslStream(_stream, leaveInnerStreamOpen: true);
            using var wait = new CancellationTokenSource(ReplyTimeout);
            try
            {
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "mx.test",
                    RemoteCertificateValidationCallback = (_, _, _, _) => true,
                }, wait.Token);
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
            {
                await ssl.DisposeAsync();
                fail(line, $"the TLS handshake failed: {e.Message}");
            }

            _stream = ssl;
        }
    }
}
