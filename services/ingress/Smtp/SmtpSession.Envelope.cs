using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Events;
using Pipeline.Contracts.Policy;
using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Smtp;

// HELO, EHLO, MAIL and RCPT: the envelope (RFC 5321 §4.1.1.1 to §4.1.1.3).
public sealed partial class SmtpSession
{
    private async Task HeloAsync(SmtpCommand command, CancellationToken ct)
    {
        if (command.Argument.Length == 0)
        {
            await ProtocolErrorAsync(SmtpReplies.HeloSyntax(command.Verb.ToString().ToUpperInvariant()), ct).ConfigureAwait(false);
            return;
        }

        var previous = _helo;
        _helo = command.Argument.Split(' ')[0];
        var (verdict, refusal) = await CheckAsync(PolicyStage.Helo, null, null, null, null, ct).ConfigureAwait(false);
        if (verdict is not (PolicyAction.Accept or PolicyAction.Discard))
        {
            _helo = previous;
            await ReplyAsync(refusal!, ct).ConfigureAwait(false);
            return;
        }

        _extended = command.Verb == SmtpVerb.Ehlo;
        _transaction = null;
        var hello = $"{_options.PrimaryHostname} Hello {SmtpReplies.Printable(_helo)} [{ClientAddress}]";
        if (!_extended)
        {
            await ReplyAsync(new SmtpReply(250, null, hello), ct).ConfigureAwait(false);
            return;
        }

        string[] keywords = [hello, $"SIZE {_options.MessageSizeLimit}", "8BITMIME", "PIPELINING", "CHUNKING", "SMTPUTF8", "DSN"];
        if (TlsOffered)
            keywords = [.. keywords, "STARTTLS"];
        if (AuthOffered)
            keywords = [.. keywords, "AUTH PLAIN LOGIN"];
        if (_options.PrdrEnable)
            keywords = [.. keywords, "PRDR"];
        if (_options.EnhancedStatusCodes)
            keywords = [.. keywords, "ENHANCEDSTATUSCODES"];
        // RFC 8689 §2: REQUIRETLS is for sessions under TLS, so offered only after STARTTLS.
        if (_tls is not null)
            keywords = [.. keywords, "REQUIRETLS"];
        await ReplyAsync(250, [.. keywords, "HELP"], ct).ConfigureAwait(false);
    }

    private async Task MailAsync(SmtpCommand command, CancellationToken ct)
    {
        if (_helo is null)
        {
            await ProtocolErrorAsync(SmtpReplies.HeloFirst, ct).ConfigureAwait(false);
            return;
        }

        if (_transaction is not null)
        {
            await ProtocolErrorAsync(SmtpReplies.NestedMail, ct).ConfigureAwait(false);
            return;
        }

        var path = PathArgument.Parse(command.Argument, "FROM", allowNull: true, out var why);
        if (path is null)
        {
            await ProtocolErrorAsync(SmtpReplies.BadSender(why), ct).ConfigureAwait(false);
            return;
        }

        if (!_extended && path.Parameters.Count > 0)
        {
            await ProtocolErrorAsync(SmtpReplies.ParametersNeedEhlo, ct).ConfigureAwait(false);
            return;
        }

        var parameters = MailParameters.Parse(path.Parameters, prdrOffered: _options.PrdrEnable, out var refusal, tls: _tls is not null);
        if (parameters is null)
        {
            await ProtocolErrorAsync(refusal!, ct).ConfigureAwait(false);
            return;
        }

        if (parameters.Size > _options.MessageSizeLimit)
        {
            await ReplyAsync(SmtpReplies.TooBig, ct).ConfigureAwait(false);
            return;
        }

        if (!parameters.SmtpUtf8 && !IsAscii(path.Address))
        {
            await ReplyAsync(SmtpReplies.NeedsSmtpUtf8, ct).ConfigureAwait(false);
            return;
        }

        ForgetMessageVariables();
        var (verdict, reply) = await CheckAsync(PolicyStage.Mail, path.Address, null, null, null, null, ct).ConfigureAwait(false);
        if (verdict.Action is PolicyAction.Accept or PolicyAction.Discard)
        {
            // The transaction begins with this verdict: the headers it adds are its first.
            _transaction = new SmtpTransaction(path.Address, parameters);
            if (verdict is { Action: PolicyAction.Accept, AddHeaders: { Count: > 0 } headers })
                _transaction.AddedHeaders.AddRange(headers);
        }

        await ReplyAsync(reply ?? SmtpReplies.SenderOk, ct).ConfigureAwait(false);
    }

    private async Task RcptAsync(SmtpCommand command, CancellationToken ct)
    {
        if (_transaction is null)
        {
            await ProtocolErrorAsync(SmtpReplies.NoSender, ct).ConfigureAwait(false);
            return;
        }

        var path = PathArgument.Parse(command.Argument, "TO", allowNull: false, out var why);
        SmtpReply? refusal = null;
        var parameters = path is null ? null : RcptParameters.Parse(path.Parameters, out refusal);
        if (path is null || parameters is null)
        {
            await ProtocolErrorAsync(refusal ?? SmtpReplies.BadRecipient(why), ct).ConfigureAwait(false);
            return;
        }

        if (!_transaction.Parameters.SmtpUtf8 && !IsAscii(path.Address))
        {
            await ReplyAsync(SmtpReplies.NeedsSmtpUtf8, ct).ConfigureAwait(false);
            return;
        }

        if (_transaction.Recipients.Count >= _options.RecipientsMax)
        {
            await ReplyAsync(SmtpReplies.TooManyRecipients, ct).ConfigureAwait(false);
            return;
        }

        var recipient = Recipient.Parse(path.Address) with { Notify = parameters.Notify, OriginalRecipient = parameters.OriginalRecipient };
        if (!_relayAllowed && _authenticatedId is null && !_lists.LocalDomains.Contains(recipient.Domain))
        {
            _log.LogInformation("Relay refused on {ConnectionId} from [{Client}] to <{Recipient}>", _journal.ConnectionId, ClientAddress, path.Address);
            await ReplyAsync(SmtpReplies.RelayNotPermitted, ct).ConfigureAwait(false);
            return;
        }

        var (verdict, reply) = await CheckAsync(PolicyStage.Rcpt, _transaction.Sender, path.Address, null, null, null, ct).ConfigureAwait(false);
        if (verdict.Action == PolicyAction.Discard)
            _log.LogInformation("Recipient <{Recipient}> discarded by policy on {ConnectionId}", path.Address, _journal.ConnectionId);
        else if (verdict.Action == PolicyAction.Accept)
        {
            // One message gets one set of content checks; without PRDR to give each recipient
            // its own verdict, a recipient needing other checks waits for another transaction.
            if (_transaction.Recipients.Count > 0 && !_transaction.Parameters.Prdr
                && !string.Equals(_transaction.ContentFilters[0], verdict.ContentFilter, StringComparison.Ordinal))
            {
                _log.LogInformation("Recipient <{Recipient}> deferred on {ConnectionId}: content checks {Filter} differ from the transaction's {Current}",
                    path.Address, _journal.ConnectionId, verdict.ContentFilter ?? "(default)", _transaction.ContentFilters[0] ?? "(default)");
                await ReplyAsync(SmtpReplies.DifferentContentChecks, ct).ConfigureAwait(false);
                return;
            }

            _transaction.Recipients.Add(recipient);
            _transaction.ContentFilters.Add(verdict.ContentFilter);
        }

        await ReplyAsync(reply ?? SmtpReplies.RecipientOk, ct).ConfigureAwait(false);
    }

    private static bool IsAscii(string text) => text.All(char.IsAscii);
}
