using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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
/// <item><c>TLS</c>: the server negotiates TLS (after its 220 to STARTTLS), with a self-signed
/// certificate; the rest of the conversation goes through it. A transcript with this line lets
/// the client try STARTTLS, which it otherwise does not. <c>TLS name</c>: with a certificate
/// for name issued by a test CA that the client trusts (<c>Delivery:TlsVerifyCertificates</c>).</item>
/// <item><c>@requiretls</c>: the message came with REQUIRETLS (RFC 8689): the client's TLS
/// options are those <see cref="RequireTls.Apply"/> gives, and it tries STARTTLS.</item>
/// <item><c>@auth user password</c>: the route's credentials (<see cref="SmtpTransport.AuthenticateAsync"/> runs after the session opens).</item>
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
    private SmtpCredentials? _credentials;
    private bool _requireTls;
    private CertificateAuthority? _authority;

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
        else if (line == "TLS")
            _steps.Add(new Step(number, "TLS", ""));
        else if (line.StartsWith("TLS ", StringComparison.Ordinal))
        {
            _authority ??= CertificateAuthority.Create();
            _options.TlsVerifyCertificates = _authority.File;
            _steps.Add(new Step(number, "TLS", line[4..]));
        }
        else if (line == "@requiretls")
            _requireTls = true;
        else if (line.StartsWith("@auth ", StringComparison.Ordinal) && line[6..].Split(' ') is [var user, var password])
            _credentials = new SmtpCredentials(user, password);
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
            "client.example", "esmtp", "192.0.2.25", 25, DateTimeOffset.UnixEpoch, BodyType: _body, DsnReturn: _return, DsnEnvelopeId: _envelopeId,
            RequireTls: _requireTls);
        var connection = await SmtpClientConnection.ConnectAsync(endPoint, Timeout, [], null, CancellationToken.None);
        connection.HostName = "mx.test";
        connection.Key = ConnectionKey.For(endPoint, null, "mx.test",
            RequireTls.Apply(new TlsHostPolicy(false, false, false, false, false, false, false, false, false),
                _requireTls ? TlsRequest.Required : TlsRequest.Default), DaneRequirement.None);
        var opened = await transport.OpenAsync(connection, tryTls: _requireTls || _steps.Any(s => s.Kind == "TLS"), null, null, CancellationToken.None);
        if (opened.HostError is null && _credentials is not null)
            opened = await transport.AuthenticateAsync(connection, _credentials, opened, CancellationToken.None);
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
        await using var network = new NetworkStream(socket, ownsSocket: false);
        Stream stream = network;
        var input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
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
                case "TLS":
                    // The client waited for the 220: nothing of its own can be buffered yet.
                    await input.CompleteAsync();
                    var tls = new SslStream(network, leaveInnerStreamOpen: true);
                    try
                    {
                        await tls.AuthenticateAsServerAsync(step.Text.Length > 0 ? _authority!.Issue(step.Text) : Certificate.Value).WaitAsync(Timeout);
                    }
                    catch (Exception e) when (e is AuthenticationException or IOException)
                    {
                        // The client refused the handshake: what it then reports is the transcript's to say.
                        await tls.DisposeAsync();
                        return;
                    }

                    stream = tls;
                    input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
                    break;
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

    // A self-signed certificate for mx.test, made once: the client verifies nothing in these transcripts.
    private static readonly Lazy<X509Certificate2> Certificate = new(() =>
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=mx.test", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    });

    // A CA the client trusts, written to a PEM file for Delivery:TlsVerifyCertificates, and the
    // server certificates it issues.
    private sealed class CertificateAuthority
    {
        private readonly X509Certificate2 _root;
        private readonly ECDsa _key;

        private CertificateAuthority(X509Certificate2 root, ECDsa key, string file) => (_root, _key, File) = (root, key, file);

        public string File { get; }

        public static CertificateAuthority Create()
        {
            var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=Transcript Test CA", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            var root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            var file = Path.Combine(Path.GetTempPath(), $"transcript-ca-{Guid.NewGuid():N}.pem");
            System.IO.File.WriteAllText(file, root.ExportCertificatePem());
            return new CertificateAuthority(root, key, file);
        }

        public X509Certificate2 Issue(string name)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName(name);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_root, true, false));
            using var issued = request.Create(_root.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), DateTimeOffset.UtcNow.AddHours(-1),
                DateTimeOffset.UtcNow.AddDays(7), RandomNumberGenerator.GetBytes(8));
            using var withKey = issued.CopyWithPrivateKey(key);
            // Through PKCS#12, so that the server's TLS has a key it can use.
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        }
    }

    private static string Printable(ReadOnlySequence<byte> bytes) =>
        Encoding.UTF8.GetString(bytes).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
