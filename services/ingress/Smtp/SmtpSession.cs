using System.Diagnostics;
using Pipeline.Infrastructure.Hosting;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Events;
using Pipeline.Contracts.Policy;
using Pipeline.Infrastructure.Lists;
using Pipeline.Ingress.Protocol;
using Pipeline.Ingress.Auth;
using Pipeline.Ingress.Spool;
using Pipeline.Ingress.Tls;
using Pipeline.Ingress.Verdicts;

using Pipeline.Infrastructure.Store;
using Pipeline.Infrastructure.Telemetry;

namespace Pipeline.Ingress.Smtp;

/// <summary>
/// One inbound SMTP conversation: the command loop of RFC 5321 with PIPELINING (RFC 2920),
/// SIZE (RFC 1870), 8BITMIME (RFC 6152), CHUNKING (RFC 3030), SMTPUTF8 (RFC 6531) and DSN
/// (RFC 3461). Commands dispatch from one table; every bad input gets a reply; a message is
/// answered 250 only after <see cref="MessageSpooler"/> committed it.
/// Exposure: every byte here comes from the network. Lines are bounded by
/// <see cref="IngressOptions.CommandLineMax"/>, messages by <see cref="IngressOptions.MessageSizeLimit"/>,
/// waits by <see cref="IngressOptions.SmtpReceiveTimeout"/> and <see cref="IngressOptions.SmtpDataTimeout"/>,
/// errors by <see cref="IngressOptions.SmtpMaxUnknownCommands"/> and <see cref="IngressOptions.SmtpMaxSynprotErrors"/>.
/// Input sent before the greeting, or pipelined where RFC 2920 does not allow it, ends the
/// session with a synchronization error, as Exim does.
/// </summary>
public sealed partial class SmtpSession
{
    private readonly IngressOptions _options;
    private readonly PolicyClient _policy;
    private readonly IMessageSpool _spooler;
    private readonly StreamEventWriter _closedConnections;
    private readonly ILogger _log;
    private readonly ConnectionJournal _journal;
    private readonly IngressLists _lists;
    private readonly bool _proxyRequired;
    private readonly ServerCertificates _certificates;
    private readonly Credentials _credentials;
    private readonly AuthThrottle _authThrottle;
    private readonly Dictionary<SmtpVerb, Command> _commands;

    private PipeReader _input;
    private PipeWriter _output;
    private SslStream? _ssl;
    private TlsState? _tls;
    private IPEndPoint _client;
    private IPEndPoint _local;
    private bool _relayAllowed;
    private ProxySession? _proxy;
    private string? _proxyFailure;
    private string? _helo;
    private bool _extended;
    private SmtpTransaction? _transaction;
    private int _unknownCommands;
    private int _protocolErrors;
    private int _messages;
    private bool _closing;
    private string _closeReason = "peer closed";

    // Shutdown: set when the process stops. A session waiting for a command outside a
    // transaction (_awaitingCommand) is stopped at once; one inside goes on until its
    // transaction ends, then is answered 421.
    private CancellationToken _stopping;
    private volatile bool _awaitingCommand = true;

    /// <summary>Creates the session for one accepted connection.</summary>
    public SmtpSession(IDuplexPipe transport, IPEndPoint client, IPEndPoint local, string connectionId,
        IngressOptions options, PolicyClient policy, IMessageSpool spooler, StreamEventWriter closedConnections,
        IngressLists lists, ServerCertificates certificates, Credentials credentials, AuthThrottle authThrottle, ILogger log)
    {
        _authThrottle = authThrottle;
        _input = transport.Input;
        _output = transport.Output;
        _certificates = certificates;
        _lists = lists;
        _credentials = credentials;
        _client = client;
        _local = local;
        _options = options;
        _policy = policy;
        _spooler = spooler;
        _closedConnections = closedConnections;
        _log = log;
        _journal = new ConnectionJournal(connectionId);
        _proxyRequired = lists.ProxyHosts.Contains(client.Address);

        // RFC 2920 §3.1: these may only end a pipelined group; input after them is a sync error.
        const bool last = true;
        _commands = new()
        {
            [SmtpVerb.Helo] = new(HeloAsync, last),
            [SmtpVerb.Ehlo] = new(HeloAsync, last),
            [SmtpVerb.Mail] = new(MailAsync, !last),
            [SmtpVerb.Rcpt] = new(RcptAsync, !last),
            [SmtpVerb.Data] = new(DataAsync, last),
            [SmtpVerb.Bdat] = new(BdatAsync, !last),
            [SmtpVerb.Rset] = new((_, ct) => { _transaction = null; return ReplyAsync(SmtpReplies.Ok, ct); }, !last),
            [SmtpVerb.Noop] = new((_, ct) => ReplyAsync(SmtpReplies.Ok, ct), last),
            [SmtpVerb.Vrfy] = new((_, ct) => ReplyAsync(SmtpReplies.Vrfy, ct), last),
            [SmtpVerb.Help] = new((_, ct) => ReplyAsync(SmtpReplies.Help, ct), last),
            [SmtpVerb.Quit] = new(QuitAsync, last),
            [SmtpVerb.StartTls] = new(StartTlsAsync, !last), // pipelined input after it is discarded, not an error
            [SmtpVerb.Auth] = new(AuthAsync, last),
            [SmtpVerb.Unknown] = new(UnknownAsync, !last),
        };
    }

    private sealed record Command(Func<SmtpCommand, CancellationToken, Task> Handler, bool EndsGroup);

    private string ClientAddress => Printable(_client.Address);

    private string LocalAddress => Printable(_local.Address);

    private static string Printable(IPAddress address) => address.ToText();

    /// <summary>
    /// Runs the conversation until QUIT, a drop, a timeout or shutdown: once
    /// <paramref name="stopping"/> fires, the session ends with 421 as soon as no transaction is
    /// open, and at <paramref name="deadline"/> whatever it is doing.
    /// </summary>
    public async Task RunAsync(CancellationToken stopping, CancellationToken deadline)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(deadline);
        _stopping = stopping;
        using var onStopping = stopping.Register(() =>
        {
            if (_awaitingCommand)
                _ = session.CancelAsync();
        });
        var shutdown = session.Token;
        var peer = (ClientAddress, _client.Port);
        var startedAt = Stopwatch.GetTimestamp();
        IngressMetrics.ConnectionsIn.Add(1);
        // The session's span: every message's span, and through the bus policy's and delivery's, descend from it.
        using var span = PipelineTelemetry.Source.StartActivity("smtp session", ActivityKind.Server);
        span?.SetTag("pipeline.connection_id", _journal.ConnectionId);
        span?.SetTag("client.address", ClientAddress);
        try
        {
            if (_proxyRequired)
                await NegotiateProxyAsync(shutdown).ConfigureAwait(false);
            _relayAllowed = _lists.RelayFromHosts.Contains(_client.Address);
            _journal.Add(new TcpConnected(_journal.ConnectionId, Direction.Inbound, ClientAddress, _client.Port, LocalAddress, _local.Port,
                Proxy: _proxy, ProxyFailure: _proxyFailure));
            stopping.ThrowIfCancellationRequested();
            if (await GreetAsync(shutdown).ConfigureAwait(false))
                await CommandLoopAsync(shutdown).ConfigureAwait(false);
        }
        catch (ReceiveTimeoutException)
        {
            _closeReason = "timeout";
            await TryReplyAsync(SmtpReplies.DataTimeout(_options.PrimaryHostname)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested || stopping.IsCancellationRequested)
        {
            _closeReason = "shutdown";
            await TryReplyAsync(SmtpReplies.ServiceUnavailable(_options.PrimaryHostname)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or ConnectionAbortedException)
        {
            _log.LogDebug("Connection {ConnectionId} lost: {Error}", _journal.ConnectionId, e.Message);
            _closeReason = "connection lost";
        }
        finally
        {
            IngressMetrics.ConnectionsIn.Add(-1);
            IngressMetrics.SessionDuration.Record(PipelineTelemetry.SecondsSince(startedAt));
            if (_journal.IsEmpty)
                _journal.Add(new TcpConnected(_journal.ConnectionId, Direction.Inbound, peer.ClientAddress, peer.Port, LocalAddress, _local.Port,
                    ProxyFailure: _proxyFailure ?? _closeReason));
            _journal.Add(new TcpClosed(_journal.ConnectionId, Direction.Inbound, ClientAddress, _client.Port, _closeReason, _messages));
            if (_ssl is not null)
                await _ssl.DisposeAsync().ConfigureAwait(false);
            await _closedConnections.EnqueueAsync(_journal.ConnectionId, _journal.TakeAll(), CancellationToken.None).ConfigureAwait(false);
        }
    }

    // Asks policy about the connection, then greets, unless the client spoke first.
    private async Task<bool> GreetAsync(CancellationToken ct)
    {
        var (verdict, reply) = await CheckAsync(PolicyStage.Connect, null, null, null, null, ct).ConfigureAwait(false);
        if (verdict != PolicyAction.Accept)
        {
            // Exim: a connect ACL deny is 554, a defer 421; either way the connection ends.
            var refusal = reply!.WithCode(verdict == PolicyAction.Deny ? 554 : 421);
            _closeReason = "refused at connect";
            await ReplyAsync(refusal, ct).ConfigureAwait(false);
            return false;
        }

        if (await TalkedFirstAsync(ct).ConfigureAwait(false))
            return await SynchronizationErrorAsync("input before the greeting", ct).ConfigureAwait(false);

        var banner = SmtpReplies.Greeting(_options.Banner);
        _journal.Add(new SmtpConnected(_journal.ConnectionId, Direction.Inbound, banner.ToString(), ClientAddress, _client.Port));
        await ReplyAsync(banner, ct).ConfigureAwait(false);
        return true;
    }

    // True when the client sent anything before the banner, waiting SmtpBannerDelay for it.
    private async Task<bool> TalkedFirstAsync(CancellationToken ct)
    {
        ReadResult early;
        if (_options.SmtpBannerDelay > TimeSpan.Zero)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(_options.SmtpBannerDelay);
            try
            {
                early = await Input.ReadAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return false;
            }
        }
        else if (!Input.TryRead(out early))
        {
            return false;
        }

        Input.AdvanceTo(early.Buffer.Start);
        return early.Buffer.Length > 0 || early.IsCompleted;
    }

    private async Task CommandLoopAsync(CancellationToken ct)
    {
        while (!_closing)
        {
            // Outside a transaction a stopping process takes no new command (nor a pipelined one).
            if (_transaction is null)
            {
                _awaitingCommand = true;
                _stopping.ThrowIfCancellationRequested();
            }

            var (line, pipelined, defect) = await ReadCommandLineAsync(ct).ConfigureAwait(false);
            _awaitingCommand = false;
            if (line is null)
                return;
            var command = SmtpCommand.Parse(line);
            if (command.Verb == SmtpVerb.Http)
            {
                // Before the synchronization check: an HTTP request comes pipelined, and gets its own answer.
                await HttpRequestAsync(command, ct).ConfigureAwait(false);
                return;
            }

            var entry = _commands[command.Verb];
            if (_proxyFailure is not null && command.Verb != SmtpVerb.Quit)
            {
                await ReplyAsync(SmtpReplies.ProxyFailed, ct).ConfigureAwait(false);
                continue;
            }

            // Without PIPELINING every command ends its group (RFC 2920 §3.1; Exim's smtp_enforce_sync).
            if (pipelined && (entry.EndsGroup || !_extended))
            {
                await SynchronizationErrorAsync($"input pipelined after {command.Text}", ct).ConfigureAwait(false);
                return;
            }

            switch (defect)
            {
                case CommandDefect.Nul:
                    await ProtocolErrorAsync(SmtpReplies.NulInCommand, ct).ConfigureAwait(false);
                    continue;
                case CommandDefect.InvalidUtf8:
                    // Not SMTPUTF8's UTF-8 (RFC 6531 §3.3) nor ASCII: an address would be mangled.
                    await ProtocolErrorAsync(command.Verb is SmtpVerb.Mail or SmtpVerb.Rcpt ? SmtpReplies.AddressNotUtf8 : SmtpReplies.CommandNotUtf8, ct)
                        .ConfigureAwait(false);
                    continue;
            }

            await entry.Handler(command, ct).ConfigureAwait(false);
        }
    }

    private async Task<bool> SynchronizationErrorAsync(string what, CancellationToken ct)
    {
        _log.LogWarning("SMTP synchronization error on {ConnectionId} from [{Client}]: {What}", _journal.ConnectionId, ClientAddress, what);
        _closing = true;
        _closeReason = "synchronization error";
        Failed(SmtpReplies.SyncError);
        await ReplyAsync(SmtpReplies.SyncError, ct).ConfigureAwait(false);
        return false;
    }

    // Whatever else was sent behind it is the rest of an HTTP request: no use reading it.
    private async Task HttpRequestAsync(SmtpCommand command, CancellationToken ct)
    {
        _log.LogWarning("HTTP request on the SMTP port on {ConnectionId} from [{Client}]: {Verb}", _journal.ConnectionId, ClientAddress,
            SmtpReplies.Printable(command.Text));
        _closing = true;
        _closeReason = "HTTP request";
        Failed(SmtpReplies.HttpRequest);
        await ReplyAsync(SmtpReplies.HttpRequest, ct).ConfigureAwait(false);
    }

    private async Task QuitAsync(SmtpCommand command, CancellationToken ct)
    {
        _closing = true;
        _closeReason = "quit";
        await ReplyAsync(SmtpReplies.Closing(_options.PrimaryHostname), ct).ConfigureAwait(false);
    }

    private async Task UnknownAsync(SmtpCommand command, CancellationToken ct)
    {
        Failed(SmtpReplies.Unknown(command.Text));
        if (++_unknownCommands > _options.SmtpMaxUnknownCommands)
        {
            _closing = true;
            _closeReason = "too many unrecognized commands";
            await ReplyAsync(SmtpReplies.TooManyUnknown, ct).ConfigureAwait(false);
            return;
        }

        await ReplyAsync(SmtpReplies.Unknown(command.Text), ct).ConfigureAwait(false);
    }

    // A syntax or protocol error: answered, counted, and past the limit the end of the session.
    private async Task ProtocolErrorAsync(SmtpReply reply, CancellationToken ct)
    {
        Failed(reply);
        if (++_protocolErrors > _options.SmtpMaxSynprotErrors)
        {
            _closing = true;
            _closeReason = "too many syntax or protocol errors";
            await ReplyAsync(reply.WithLine("too many syntax or protocol errors - closing connection"), ct).ConfigureAwait(false);
            return;
        }

        await ReplyAsync(reply, ct).ConfigureAwait(false);
    }

    // Exim's smtp:fail:syntax (500, 501: what could not be parsed) and smtp:fail:protocol (the rest).
    private void Failed(SmtpReply reply) =>
        _journal.Add(reply.Code is 500 or 501
            ? new SmtpSyntaxFailed(_journal.ConnectionId, reply.ToString(), ClientAddress)
            : new SmtpProtocolFailed(_journal.ConnectionId, reply.ToString(), ClientAddress));
}
