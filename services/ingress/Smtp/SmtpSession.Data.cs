using System.Buffers;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Events;
using Pipeline.Contracts.Policy;
using Pipeline.Ingress.Protocol;
using Pipeline.Infrastructure.Store;
using Pipeline.Infrastructure.Telemetry;
using Pipeline.Ingress.Spool;

namespace Pipeline.Ingress.Smtp;

// DATA and BDAT: the content, its checks, and the commit before 250.
public sealed partial class SmtpSession
{
    private async Task DataAsync(SmtpCommand command, CancellationToken ct)
    {
        if (_transaction is null)
        {
            await ProtocolErrorAsync(SmtpReplies.NoSender, ct).ConfigureAwait(false);
            return;
        }

        if (_transaction.Content is not null)
        {
            await ProtocolErrorAsync(SmtpReplies.DataAfterBdat, ct).ConfigureAwait(false);
            return;
        }

        if (_transaction.Recipients.Count == 0)
        {
            await ProtocolErrorAsync(SmtpReplies.NoRecipients, ct).ConfigureAwait(false);
            return;
        }

        if (await PredataRefusalAsync(_transaction, ct).ConfigureAwait(false) is { } refusal)
        {
            _transaction = null;
            await ReplyAsync(refusal, ct).ConfigureAwait(false);
            return;
        }

        var content = StartContent(_transaction, chunked: false);
        await ReplyAsync(SmtpReplies.StartData, ct).ConfigureAwait(false);
        await ReadDataAsync(content, ct).ConfigureAwait(false);
        await FinishAsync(ct).ConfigureAwait(false);
    }

    // BDAT size [LAST] (RFC 3030 §2): exactly size octets follow the command line, whatever
    // the state; they are read even when refused, so that the conversation stays in step.
    private async Task BdatAsync(SmtpCommand command, CancellationToken ct)
    {
        if (BdatArgument.Parse(command.Argument) is not var (size, last))
        {
            // Without a size the chunk cannot be skipped: the session cannot go on.
            _closing = true;
            _closeReason = "bad BDAT";
            await ReplyAsync(SmtpReplies.BadBdat, ct).ConfigureAwait(false);
            return;
        }

        var refusal = _transaction switch
        {
            null => SmtpReplies.NoSender,
            { Recipients.Count: 0 } => SmtpReplies.NoRecipientsBdat,
            { Content.Chunked: false } => SmtpReplies.NestedMail,
            _ => null,
        };
        if (refusal is not null)
        {
            await ReadChunkAsync(size, null, ct).ConfigureAwait(false);
            await ProtocolErrorAsync(refusal, ct).ConfigureAwait(false);
            return;
        }

        if (_transaction!.Content is null && await PredataRefusalAsync(_transaction, ct).ConfigureAwait(false) is { } predata)
        {
            _transaction = null;
            await ReadChunkAsync(size, null, ct).ConfigureAwait(false);
            await ReplyAsync(predata, ct).ConfigureAwait(false);
            return;
        }

        var content = _transaction.Content ?? StartContent(_transaction, chunked: true);
        await ReadChunkAsync(size, content, ct).ConfigureAwait(false);
        if (!last)
        {
            await ReplyAsync(SmtpReplies.ChunkReceived(size), ct).ConfigureAwait(false);
            return;
        }

        content.Decoder.Complete(content.Bytes);
        await FinishAsync(ct).ConfigureAwait(false);
    }

    // acl_smtp_predata: the refusal to send instead of going on with the content, or null.
    private async Task<SmtpReply?> PredataRefusalAsync(SmtpTransaction transaction, CancellationToken ct)
    {
        var (verdict, reply) = await CheckAsync(PolicyStage.Predata, transaction.Sender, null,
            transaction.Recipients.Select(r => r.Address).ToList(), null, ct).ConfigureAwait(false);
        return verdict is PolicyAction.Accept or PolicyAction.Discard ? null : reply;
    }

    private MessageContent StartContent(SmtpTransaction transaction, bool chunked)
    {
        var now = DateTimeOffset.UtcNow;
        var content = new MessageContent(MessageIds.New(now), now,
            new DataDecoder(_options.MessageSizeLimit, _options.TextLineMax, dotStuffed: !chunked), now + _options.SmtpDataTimeout)
        {
            Chunked = chunked,
        };
        content.Bytes.Write(Encoding.UTF8.GetBytes(ReceivedHeader.Format(_helo, ClientAddress, _client.Port, _options.PrimaryHostname,
            Protocol(transaction), content.MessageId, transaction.Recipients.Select(r => r.Address).ToList(), now)));
        content.TraceLength = content.Bytes.WrittenCount;
        transaction.Content = content;
        return content;
    }

    private string Protocol(SmtpTransaction transaction) =>
        // Exim's $received_protocol: smtp, esmtp, utf8smtp, and an "s" for TLS.
        (_extended, transaction.Parameters.SmtpUtf8) switch
        {
            (false, _) => "smtp",
            (true, true) => "utf8smtp",
            _ => "esmtp",
        } + (_tls is null ? "" : "s") + (_authenticatedId is null ? "" : "a");

    // The end of the content: the checks, policy's verdict, the commit, then 250 with the id.
    // Whatever happens, the transaction is over (RFC 5321 §4.1.1.4).
    private async Task FinishAsync(CancellationToken ct)
    {
        var transaction = _transaction!;
        _transaction = null;
        // The message's span: policy's check at DATA and the commit under it; delivery's
        // attempts join it through the traceparent stored with msg:received.
        using var span = PipelineTelemetry.Source.StartActivity("smtp message");
        span?.SetTag(PipelineTelemetry.MessageIdAttribute, transaction.Content!.MessageId);
        var outcome = await ReceiveAsync(transaction, ct).ConfigureAwait(false);
        span?.SetTag("pipeline.outcome", outcome);
        IngressMetrics.TransactionDuration.Record(PipelineTelemetry.SecondsSince(transaction.StartedAt), new KeyValuePair<string, object?>("outcome", outcome));
        if (outcome == Accepted)
            IngressMetrics.Received.Add(1);
    }

    private const string Accepted = "accepted";

    // Returns the outcome: accepted, refused, discarded or failed (not stored).
    private async Task<string> ReceiveAsync(SmtpTransaction transaction, CancellationToken ct)
    {
        var content = transaction.Content!;

        if (content.Decoder.TooBig)
        {
            await ReplyAsync(SmtpReplies.TooBig, ct).ConfigureAwait(false);
            return "refused";
        }

        if (content.Decoder.LineTooLong)
        {
            await ReplyAsync(SmtpReplies.TextLineTooLong, ct).ConfigureAwait(false);
            return "refused";
        }

        if (content.Decoder.HeaderSize > _options.HeaderMax)
        {
            await ReplyAsync(SmtpReplies.HeaderTooBig, ct).ConfigureAwait(false);
            return "refused";
        }

        // Exim's received_headers_max, counted as the message arrived (this hop's own field
        // not included): a message that has passed this many relays is going round in a loop.
        if (content.Decoder.ReceivedFields > _options.ReceivedHeadersMax)
        {
            _log.LogWarning("Message {MessageId} refused on {ConnectionId}: {Count} Received fields, more than {Max}: suspected mail loop",
                content.MessageId, _journal.ConnectionId, content.Decoder.ReceivedFields, _options.ReceivedHeadersMax);
            await ReplyAsync(SmtpReplies.MailLoop, ct).ConfigureAwait(false);
            return "refused";
        }

        var addresses = transaction.Recipients.Select(r => r.Address).ToList();
        var (verdict, reply) = await CheckAsync(PolicyStage.Data, transaction.Sender, null, addresses, content.Bytes.WrittenCount,
            transaction.ContentFilter, ct, content.Bytes.WrittenSpan.ToArray(), transaction).ConfigureAwait(false);
        if (verdict.Action == PolicyAction.Discard)
        {
            // Exim's discard: the client is told all is well, and nothing is kept.
            _log.LogInformation("Message {MessageId} discarded by policy on {ConnectionId}", content.MessageId, _journal.ConnectionId);
            await ReplyAsync(SmtpReplies.Queued(content.MessageId), ct).ConfigureAwait(false);
            return "discarded";
        }

        if (verdict.Action != PolicyAction.Accept)
        {
            await ReplyAsync(reply!, ct).ConfigureAwait(false);
            return "refused";
        }

        // PRDR (draft-hall-prdr-00 §4): with several recipients, a verdict for each.
        var recipients = transaction.Recipients;
        List<SmtpReply>? perRecipient = null;
        List<RefusedRecipient>? refused = null;
        if (transaction.Parameters.Prdr && recipients.Count > 1)
        {
            perRecipient = [];
            refused = [];
            var accepted = new List<Recipient>();
            for (var i = 0; i < recipients.Count; i++)
            {
                var recipient = recipients[i];
                var (prdr, prdrReply) = await CheckAsync(PolicyStage.Prdr, transaction.Sender, recipient.Address, addresses, content.Bytes.WrittenCount,
                    transaction.ContentFilters[i], ct).ConfigureAwait(false);
                perRecipient.Add(prdrReply ?? SmtpReplies.Ok);
                if (prdr.Action == PolicyAction.Accept)
                    accepted.Add(recipient);
                else
                    refused.Add(new RefusedRecipient(recipient, (prdrReply ?? SmtpReplies.Ok).ToString()));
            }

            if (accepted.Count == 0)
            {
                await ReplyPrdrAsync(perRecipient, SmtpReplies.NoRecipientsAccepted, ct).ConfigureAwait(false);
                return "refused";
            }

            recipients = accepted;
        }

        var parameters = transaction.Parameters;
        var received = new MessageReceived(content.MessageId, _journal.ConnectionId, transaction.Sender, recipients,
            content.Bytes.WrittenCount, ClientAddress, _client.Port, _helo, Protocol(transaction), LocalAddress, _local.Port,
            content.StartedAt, parameters.BodyType, parameters.SmtpUtf8, parameters.Return, parameters.EnvelopeId, _proxy,
            _tls?.Version, _tls?.Cipher, _tls?.ServerName, _authenticatedId, refused is { Count: > 0 } ? refused : null, Activity.Current?.Id,
            Dmarc: verdict.Dmarc, RequireTls: parameters.RequireTls);
        try
        {
            using var commit = PipelineTelemetry.Source.StartActivity("store message");
            await _spooler.CommitAsync(received, StoredContent.Build(content.Bytes.WrittenMemory, content.TraceLength, transaction.AddedHeaders,
                transaction.RemovedHeaders), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            _log.LogError(e, "Could not commit message {MessageId}", content.MessageId);
            // Either way nothing was stored, and the client keeps the message and tries later.
            var failure = StoreErrors.IsDiskFull(e) ? SmtpReplies.InsufficientStorage : SmtpReplies.LocalError;
            if (perRecipient is null)
                await ReplyAsync(failure, ct).ConfigureAwait(false);
            else
                await ReplyPrdrAsync(perRecipient.Select(r => r.IsPositive ? failure : r).ToList(), failure, ct).ConfigureAwait(false);
            return "failed";
        }

        _messages++;
        var final = SmtpReplies.Queued(content.MessageId);
        if (perRecipient is null)
            await ReplyAsync(final, ct).ConfigureAwait(false);
        else
            await ReplyPrdrAsync(perRecipient, final, ct).ConfigureAwait(false);
        return Accepted;
    }

    // 353, then one reply per recipient in RCPT order, then the final reply (draft-hall-prdr-00 §4).
    private Task ReplyPrdrAsync(IReadOnlyList<SmtpReply> perRecipient, SmtpReply final, CancellationToken ct)
    {
        var text = new StringBuilder(new SmtpReply(353, null, "PRDR content analysis beginning").Write(EnhancedStatusCodes));
        foreach (var reply in perRecipient)
            text.Append(reply.Write(EnhancedStatusCodes));
        text.Append(final.Write(EnhancedStatusCodes));
        return WriteAsync(text.ToString(), ct);
    }
}
