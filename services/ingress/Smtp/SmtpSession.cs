using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Events;
using Pipeline.Contracts.Policy;
using Pipeline.Ingress.Protocol;
using Pipeline.Ingress.Spool;
using Pipeline.Ingress.Verdicts;

namespace Pipeline.Ingress.Smtp;

/// <summary>
/// One inbound SMTP conversation: the command loop of RFC 5321 with PIPELINING (RFC 2920),
/// SIZE (RFC 1870) and 8BITMIME (RFC 6152). Commands dispatch from one table; every bad
/// input gets a reply; a message is answered 250 only after <see cref="MessageSpooler"/>
/// committed it. Exposure: every byte here comes from the network; lines are bounded by
/// <see cref="IngressOptions.CommandLineMax"/>, messages by <see cref="IngressOptions.MessageSizeLimit"/>,
/// waits by <see cref="IngressOptions.SmtpReceiveTimeout"/>.
/// </summary>
public sealed partial class SmtpSession
{
    private readonly IDuplexPipe _transport;
    private readonly IngressOptions _options;
    private readonly PolicyClient _policy;
    private readonly MessageSpooler _spooler;
    private readonly ILogger _log;
    private readonly IPEndPoint _client;
    private readonly IPEndPoint _local;
    private readonly ConnectionJournal _journal;
    private readonly Dictionary<SmtpVerb, Func<SmtpCommand, CancellationToken, Task>> _handlers;

    private string? _helo;
    private bool _extended;
    private SmtpTransaction? _transaction;
    private int _unknownCommands;
    private int _messages;
    private bool _closing;
    private string _closeReason = "peer closed";

    /// <summary>Creates the session for one accepted connection.</summary>
    public SmtpSession(IDuplexPipe transport, IPEndPoint client, IPEndPoint local, string connectionId,
        IngressOptions options, PolicyClient policy, MessageSpooler spooler, ILogger log)
    {
        _transport = transport;
        _client = client;
        _local = local;
        _options = options;
        _policy = policy;
        _spooler = spooler;
        _log = log;
        _journal = new ConnectionJournal(connectionId);
        _handlers = new()
        {
            [SmtpVerb.Helo] = HeloAsync,
            [SmtpVerb.Ehlo] = HeloAsync,
            [SmtpVerb.Mail] = MailAsync,
            [SmtpVerb.Rcpt] = RcptAsync,
            [SmtpVerb.Data] = DataAsync,
            [SmtpVerb.Rset] = (_, ct) => { _transaction = null; return ReplyAsync(SmtpReplies.Ok, ct); },
            [SmtpVerb.Noop] = (_, ct) => ReplyAsync(SmtpReplies.Ok, ct),
            [SmtpVerb.Vrfy] = (_, ct) => ReplyAsync(SmtpReplies.Vrfy, ct),
            [SmtpVerb.Help] = (_, ct) => ReplyAsync(SmtpReplies.Help, ct),
            [SmtpVerb.Quit] = QuitAsync,
        };
    }

    private string ClientAddress => _client.Address.IsIPv4MappedToIPv6 ? _client.Address.MapToIPv4().ToString() : _client.Address.ToString();

    private string LocalAddress => _local.Address.IsIPv4MappedToIPv6 ? _local.Address.MapToIPv4().ToString() : _local.Address.ToString();

    /// <summary>Runs the conversation until QUIT, a drop, a timeout or shutdown.</summary>
    public async Task RunAsync(CancellationToken shutdown)
    {
        _journal.Add(new TcpConnected(_journal.ConnectionId, Direction.Inbound, ClientAddress, _client.Port, LocalAddress, _local.Port));
        var banner = $"220 {_options.Banner}";
        _journal.Add(new SmtpConnected(_journal.ConnectionId, Direction.Inbound, banner, ClientAddress, _client.Port));
        try
        {
            await ReplyAsync(banner, shutdown).ConfigureAwait(false);
            while (!_closing)
            {
                var line = await ReadCommandLineAsync(shutdown).ConfigureAwait(false);
                if (line is null)
                    break;
                var command = SmtpCommand.Parse(line);
                if (_handlers.TryGetValue(command.Verb, out var handler))
                    await handler(command, shutdown).ConfigureAwait(false);
                else
                    await UnknownAsync(command, shutdown).ConfigureAwait(false);
            }
        }
        catch (ReceiveTimeoutException)
        {
            _closeReason = "timeout";
            await TryReplyAsync($"421 {_options.PrimaryHostname} SMTP incoming data timeout - closing connection").ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            _closeReason = "shutdown";
            await TryReplyAsync($"421 {_options.PrimaryHostname} Service not available - closing connection").ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or ConnectionAbortedException)
        {
            _log.LogDebug("Connection {ConnectionId} lost: {Error}", _journal.ConnectionId, e.Message);
            _closeReason = "connection lost";
        }
        finally
        {
            _journal.Add(new TcpClosed(_journal.ConnectionId, Direction.Inbound, ClientAddress, _client.Port, _closeReason, _messages));
            try
            {
                await _spooler.FlushAsync(_journal, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _log.LogError(e, "Could not store the events of connection {ConnectionId}", _journal.ConnectionId);
            }
        }
    }

    private async Task HeloAsync(SmtpCommand command, CancellationToken ct)
    {
        if (command.Argument.Length == 0)
        {
            await ReplyAsync($"501 Syntactically invalid {command.Verb.ToString().ToUpperInvariant()} argument(s)", ct).ConfigureAwait(false);
            return;
        }

        _helo = command.Argument.Split(' ')[0];
        _extended = command.Verb == SmtpVerb.Ehlo;
        _transaction = null;
        var hello = $"{_options.PrimaryHostname} Hello {SmtpReplies.Printable(_helo)} [{ClientAddress}]";
        if (!_extended)
        {
            await ReplyAsync($"250 {hello}", ct).ConfigureAwait(false);
            return;
        }

        await ReplyAsync(ct, "250", hello, $"SIZE {_options.MessageSizeLimit}", "8BITMIME", "PIPELINING", "HELP").ConfigureAwait(false);
    }

    private async Task MailAsync(SmtpCommand command, CancellationToken ct)
    {
        if (_helo is null)
        {
            await ReplyAsync(SmtpReplies.HeloFirst, ct).ConfigureAwait(false);
            return;
        }

        if (_transaction is not null)
        {
            await ReplyAsync(SmtpReplies.NestedMail, ct).ConfigureAwait(false);
            return;
        }

        var path = PathArgument.Parse(command.Argument, "FROM", allowNull: true, out var error);
        if (path is null)
        {
            await ReplyAsync($"501 {SmtpReplies.Printable(error)}", ct).ConfigureAwait(false);
            return;
        }

        foreach (var (name, value) in path.Parameters)
        {
            switch (name)
            {
                case "SIZE" when _extended:
                    if (!long.TryParse(value, out var size) || size < 0)
                    {
                        await ReplyAsync("501 invalid SIZE parameter", ct).ConfigureAwait(false);
                        return;
                    }

                    if (size > _options.MessageSizeLimit)
                    {
                        await ReplyAsync("552 Message size exceeds maximum permitted", ct).ConfigureAwait(false);
                        return;
                    }

                    break;
                case "BODY" when _extended && (value?.ToUpperInvariant() is "7BIT" or "8BITMIME"):
                    break;
                default:
                    await ReplyAsync($"555 unsupported parameter {SmtpReplies.Printable(name)}", ct).ConfigureAwait(false);
                    return;
            }
        }

        var (verdict, reply) = await CheckAsync(PolicyStage.Mail, path.Address, null, null, null, ct).ConfigureAwait(false);
        if (verdict == PolicyAction.Accept)
            _transaction = new SmtpTransaction(path.Address);
        await ReplyAsync(reply ?? SmtpReplies.Ok, ct).ConfigureAwait(false);
    }

    private async Task RcptAsync(SmtpCommand command, CancellationToken ct)
    {
        if (_transaction is null)
        {
            await ReplyAsync(SmtpReplies.NoSender, ct).ConfigureAwait(false);
            return;
        }

        var path = PathArgument.Parse(command.Argument, "TO", allowNull: false, out var error);
        if (path is null)
        {
            await ReplyAsync($"501 {SmtpReplies.Printable(error)}", ct).ConfigureAwait(false);
            return;
        }

        if (path.Parameters.Count > 0)
        {
            await ReplyAsync($"555 unsupported parameter {SmtpReplies.Printable(path.Parameters.Keys.First())}", ct).ConfigureAwait(false);
            return;
        }

        if (_transaction.Recipients.Count >= _options.RecipientsMax)
        {
            await ReplyAsync(SmtpReplies.TooManyRecipients, ct).ConfigureAwait(false);
            return;
        }

        var (verdict, reply) = await CheckAsync(PolicyStage.Rcpt, _transaction.Sender, path.Address, null, null, ct).ConfigureAwait(false);
        if (verdict == PolicyAction.Accept)
            _transaction.Recipients.Add(path.Address);
        await ReplyAsync(reply ?? "250 Accepted", ct).ConfigureAwait(false);
    }

    private async Task DataAsync(SmtpCommand command, CancellationToken ct)
    {
        if (_transaction is null)
        {
            await ReplyAsync(SmtpReplies.NoSender, ct).ConfigureAwait(false);
            return;
        }

        if (_transaction.Recipients.Count == 0)
        {
            await ReplyAsync(SmtpReplies.NoRecipients, ct).ConfigureAwait(false);
            return;
        }

        var transaction = _transaction;
        _transaction = null;
        await ReplyAsync(SmtpReplies.StartData, ct).ConfigureAwait(false);

        var now = DateTimeOffset.UtcNow;
        var messageId = MessageIds.New(now);
        var protocol = _extended ? "esmtp" : "smtp";
        var content = new ArrayBufferWriter<byte>(64 * 1024);
        content.Write(Encoding.UTF8.GetBytes(ReceivedHeader.Format(
            _helo, ClientAddress, _client.Port, _options.PrimaryHostname, protocol, messageId, transaction.Recipients, now)));
        var decoder = new DataDecoder(_options.MessageSizeLimit);
        await ReadDataAsync(decoder, content, ct).ConfigureAwait(false);

        if (decoder.TooBig)
        {
            await ReplyAsync("552 Message size exceeds maximum permitted", ct).ConfigureAwait(false);
            return;
        }

        var (verdict, reply) = await CheckAsync(PolicyStage.Data, transaction.Sender, null, transaction.Recipients, content.WrittenCount, ct).ConfigureAwait(false);
        if (verdict != PolicyAction.Accept)
        {
            await ReplyAsync(reply!, ct).ConfigureAwait(false);
            return;
        }

        var received = new MessageReceived(messageId, _journal.ConnectionId, transaction.Sender,
            transaction.Recipients.Select(Recipient.Parse).ToList(), content.WrittenCount, ClientAddress, _client.Port,
            _helo, protocol, LocalAddress, _local.Port, now);
        try
        {
            await _spooler.CommitAsync(received, content.WrittenMemory, _journal, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            _log.LogError(e, "Could not commit message {MessageId}", messageId);
            await ReplyAsync(SmtpReplies.LocalError, ct).ConfigureAwait(false);
            return;
        }

        _messages++;
        await ReplyAsync($"250 OK id={messageId}", ct).ConfigureAwait(false);
    }

    private async Task QuitAsync(SmtpCommand command, CancellationToken ct)
    {
        _closing = true;
        _closeReason = "quit";
        await ReplyAsync($"221 {_options.PrimaryHostname} closing connection", ct).ConfigureAwait(false);
    }

    private async Task UnknownAsync(SmtpCommand command, CancellationToken ct)
    {
        if (++_unknownCommands > _options.SmtpMaxUnknownCommands)
        {
            _closing = true;
            _closeReason = "too many unrecognized commands";
            await ReplyAsync(SmtpReplies.TooManyUnknown, ct).ConfigureAwait(false);
            return;
        }

        await ReplyAsync(SmtpReplies.Unknown(command.Text), ct).ConfigureAwait(false);
    }

    // Asks policy and records the verdict. Returns the reply to send instead of the default
    // accept reply, or null to send the default.
    private async Task<(PolicyAction Action, string? Reply)> CheckAsync(PolicyStage stage, string? sender, string? recipient,
        IReadOnlyList<string>? recipients, long? size, CancellationToken ct)
    {
        var (verdict, timedOut) = await _policy.CheckAsync(deadline => new CheckPolicy(
            _journal.ConnectionId, stage, ClientAddress, _client.Port, _helo, sender, recipient, recipients, size, deadline), ct).ConfigureAwait(false);
        var reply = verdict.Action switch
        {
            PolicyAction.Accept => verdict.Message is null ? null : $"250 {verdict.Message}",
            PolicyAction.Deny => $"550 {verdict.Message ?? "Administrative prohibition"}",
            _ => $"451 {verdict.Message ?? "Temporary local problem - please try later"}",
        };
        _journal.Add(new PolicyVerdictGiven(_journal.ConnectionId, stage, verdict.Action, reply ?? "250", sender, recipient, timedOut));
        return (verdict.Action, reply);
    }
}
