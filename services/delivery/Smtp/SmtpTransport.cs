using Pipeline.Contracts.Events;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Pipeline.Delivery.Protocol;
using Pipeline.Delivery.Retry;
using Pipeline.Delivery.Tls;
using Pipeline.Infrastructure.Dns;
using Pipeline.Infrastructure.Protocol;

namespace Pipeline.Delivery.Smtp;

/// <summary>
/// Exim's <c>remote_smtp</c> transport (RFC 5321 §3.3). <see cref="OpenAsync"/> takes the
/// greeting and says EHLO (HELO when refused); <see cref="SendAsync"/> runs one transaction:
/// MAIL with SIZE when offered, RCPT per recipient, DATA, and with PRDR (draft-hall-prdr-00)
/// one reply per recipient after the data; a connection can carry several,
/// one after the other; <see cref="CloseAsync"/> says QUIT. Replies decide per recipient; a
/// refusal of the host as a whole is reported as a host error so that the next host can be
/// tried. Nothing here throws for what the server says or does.
/// </summary>
public sealed class SmtpTransport(DeliveryOptions options, TimeProvider clock)
{
    /// <summary>The transport's name in events and logs.</summary>
    public const string Name = "remote_smtp";

    /// <summary>
    /// Reads the greeting and says hello, then, when <paramref name="tryTls"/> and the
    /// connection's key allow (<see cref="ConnectionKey.EffectiveTls"/>), STARTTLS (RFC 3207)
    /// and hello again. Under DANE with usable TLSA records (<see cref="ConnectionKey.Dane"/>)
    /// TLS is required and the records alone authenticate the server.
    /// </summary>
    /// <param name="connection">The new connection, its <see cref="SmtpClientConnection.Key"/> set.</param>
    /// <param name="tryTls">False to stay in the clear (after a failed TLS session where TLS is not required).</param>
    /// <param name="onGreeting">The event action's smtp:connect: a result closes the connection.</param>
    /// <param name="onCertificate">The event action's tls:cert, per certificate and depth: a result refuses verification.</param>
    /// <param name="cancellationToken">Cancels the whole exchange.</param>
    public async Task<OpenResult> OpenAsync(SmtpClientConnection connection, bool tryTls, Func<SmtpReply, Task<string?>>? onGreeting,
        Func<int, X509Certificate2, string?>? onCertificate, CancellationToken cancellationToken)
    {
        SmtpReply? greeting = null;
        try
        {
            greeting = await connection.ReadReplyAsync(options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            if (!greeting.IsPositive)
                return new OpenResult(greeting, $"SMTP error from remote mail server after initial connection: {greeting}");
            if (onGreeting is not null && await onGreeting(greeting).ConfigureAwait(false) is { } veto)
                return new OpenResult(greeting, $"the event action closed the connection at smtp:connect: {veto}");
            var hello = await HelloAsync(connection, cancellationToken).ConfigureAwait(false);
            if (hello is not null)
                return new OpenResult(greeting, hello);

            var policy = connection.Key.EffectiveTls;
            var dane = connection.Key.Dane.Records is { Count: > 0 } records ? records : null;
            if (!tryTls || (policy.Avoid && !policy.Require))
                return new OpenResult(greeting, policy.Require ? "a TLS session is required, but TLS is avoided with this host" : null, HostErrorType: TlsRequired);
            if (!Offers(connection, "STARTTLS"))
                return policy.Require
                    ? new OpenResult(greeting, "a TLS session is required, but the server did not offer STARTTLS", TlsResultType: TlsRptNames.StarttlsNotSupported,
                        HostErrorType: TlsRequired)
                    : new OpenResult(greeting, null);

            var reply = await connection.CommandAsync("STARTTLS", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            if (reply.Code != 220)
                return policy.Require
                    ? new OpenResult(greeting, $"a TLS session is required, but the server refused STARTTLS: {reply}",
                        TlsResultType: TlsRptNames.StarttlsNotSupported, HostErrorType: TlsRequired)
                    : new OpenResult(greeting, null);

            var client = new DeliveryTlsClient(connection.HostName, policy, options.TrustedCertificates, clock, dane, onCertificate);
            try
            {
                await connection.StartTlsAsync(client, options.FinalTimeout > options.CommandTimeout ? options.FinalTimeout : options.CommandTimeout,
                    cancellationToken).ConfigureAwait(false);
            }
            catch (TlsNegotiationException e)
            {
                var error = $"TLS session failure: {e.Message}";
                return new OpenResult(greeting, error, error, RetryInClear: !policy.Require,
                    TlsResultType: client.ResultType ?? TlsRptNames.ValidationFailure, HostErrorType: TlsRequired);
            }

            // RFC 3207 §4.2: what the server said before TLS counts for nothing now.
            connection.Hello = null;
            return new OpenResult(greeting, await HelloAsync(connection, cancellationToken).ConfigureAwait(false));
        }
        catch (SmtpProtocolException e)
        {
            return new OpenResult(greeting, e.Message, HostErrorType: RetryError.Broken(e));
        }
    }

    // EHLO, or HELO when refused; null when one worked, else the error.
    private async Task<string?> HelloAsync(SmtpClientConnection connection, CancellationToken cancellationToken)
    {
        var hello = await connection.CommandAsync($"EHLO {options.HeloData}", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
        if (hello.IsPositive)
        {
            connection.Hello = hello;
            return null;
        }

        hello = await connection.CommandAsync($"HELO {options.HeloData}", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
        return hello.IsPositive ? null : $"SMTP error from remote mail server after HELO {options.HeloData}: {hello}";
    }

    /// <summary>
    /// Runs one mail transaction on an open connection; one that ends without a host error
    /// counts in <see cref="SmtpClientConnection.Transactions"/>.
    /// </summary>
    public async Task<TransportResult> SendAsync(SmtpClientConnection connection, MessageReceived message,
        IReadOnlyList<Recipient> recipients, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var result = await TransactionAsync(connection, message, recipients, content, cancellationToken).ConfigureAwait(false);
        if (result.HostError is null)
            connection.Transactions++;
        return result with { DsnOffered = Offers(connection, "DSN") };
    }

    private async Task<TransportResult> TransactionAsync(SmtpClientConnection connection, MessageReceived message,
        IReadOnlyList<Recipient> recipients, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        // RFC 8689 §4.2.1: a REQUIRETLS message goes only over verified TLS, to a server that
        // offers REQUIRETLS; elsewhere nothing is sent, and the next host is tried.
        if (message.RequireTls && RequireTls.Unmet(connection.Tls, connection.Hello) is { } unmet)
            return new TransportResult(unmet, [], new RetryError(RetryErrorKind.TlsRequired), RequireTlsRefused: true);

        // What the message needs and the server lacks fails it here, clearly, for good: the
        // server cannot be made to take it (RFC 6531 §3.4, RFC 6152).
        if (Unsendable(connection, message, recipients, content.Span) is { } lacking)
            return new TransportResult(null, recipients.Select(r => new RecipientOutcome(r, RecipientStatus.Failed, lacking)).ToList());

        var sender = message.Sender;
        try
        {
            var size = Offers(connection, "SIZE")
                ? $" SIZE={content.Length}"
                : "";
            // With PIPELINING (RFC 2920) MAIL, every RCPT and DATA go in one write; the replies
            // are then read in order, all of them, before anything is decided.
            var pipelining = Offers(connection, "PIPELINING");
            // PRDR: each recipient gets the server's own verdict on the content, so that one
            // transaction serves recipients whose filters disagree.
            // A binary message goes only in BDAT chunks (RFC 3030 §3), and PRDR's replies follow DATA only.
            var binary = IsBinary(message);
            var prdr = recipients.Count > 1 && !binary && Offers(connection, "PRDR")
                && options.TryPrdr.Contains(connection.Server.Address, connection.HostName);
            // CHUNKING (RFC 3030): BDAT chunks instead of DATA, the content as it is, unless PRDR is used.
            var chunking = !prdr && Offers(connection, "CHUNKING");
            var mailCommand = $"MAIL FROM:<{sender}>{size}{MailParameters(connection, message)}{(prdr ? " PRDR" : "")}";
            string[] rcptCommands = [.. recipients.Select(r => $"RCPT TO:<{r.Address}>{RcptParameters(connection, r)}")];
            if (pipelining)
                await connection.WriteCommandsAsync(chunking ? [mailCommand, .. rcptCommands] : [mailCommand, .. rcptCommands, "DATA"], cancellationToken)
                    .ConfigureAwait(false);

            var mail = pipelining
                ? await connection.ReadReplyAsync(options.CommandTimeout, cancellationToken).ConfigureAwait(false)
                : await connection.CommandAsync(mailCommand, options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            var outcomes = new List<RecipientOutcome>();
            var accepted = new List<Recipient>();
            for (var i = 0; i < recipients.Count; i++)
            {
                var rcpt = pipelining
                    ? await connection.ReadReplyAsync(options.CommandTimeout, cancellationToken).ConfigureAwait(false)
                    : mail.IsPositive ? await connection.CommandAsync(rcptCommands[i], options.CommandTimeout, cancellationToken).ConfigureAwait(false) : null;
                if (rcpt is null || !mail.IsPositive)
                    continue;
                if (rcpt.IsPositive)
                    accepted.Add(recipients[i]);
                else
                    outcomes.Add(new RecipientOutcome(recipients[i], rcpt.IsPermanent ? RecipientStatus.Failed : RecipientStatus.Deferred,
                        $"SMTP error from remote mail server after RCPT TO:<{recipients[i].Address}>: {rcpt}", Refused(RetryErrorKind.Rcpt, rcpt)));
            }

            var data = pipelining && !chunking
                ? await connection.ReadReplyAsync(options.CommandTimeout, cancellationToken).ConfigureAwait(false)
                : null;
            if (!mail.IsPositive)
            {
                if (data?.Code == 354)
                    await connection.AbortDataAsync(options.FinalTimeout, cancellationToken).ConfigureAwait(false);
                if (mail.IsTransient)
                    return HostError($"SMTP error from remote mail server after MAIL FROM:<{sender}>: {mail}", Refused(RetryErrorKind.Mail, mail));
                return new TransportResult(null, recipients.Select(r => new RecipientOutcome(r, RecipientStatus.Failed,
                    $"SMTP error from remote mail server after MAIL FROM:<{sender}>: {mail}")).ToList());
            }

            if (accepted.Count == 0)
            {
                // A server that still said 354 gets an empty message it must refuse for want of recipients.
                if (data?.Code == 354)
                    await connection.AbortDataAsync(options.FinalTimeout, cancellationToken).ConfigureAwait(false);
                // End the transaction so that the connection can carry another.
                await connection.CommandAsync("RSET", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
                return new TransportResult(null, outcomes);
            }

            if (chunking)
            {
                outcomes.AddRange(await SendChunksAsync(connection, accepted, content, cancellationToken).ConfigureAwait(false));
                return new TransportResult(null, outcomes);
            }

            data ??= await connection.CommandAsync("DATA", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            if (data.Code != 354)
            {
                outcomes.AddRange(accepted.Select(r => new RecipientOutcome(r,
                    data.IsPermanent ? RecipientStatus.Failed : RecipientStatus.Deferred,
                    $"SMTP error from remote mail server after DATA: {data}", Refused(RetryErrorKind.Data, data))));
                await connection.CommandAsync("RSET", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
                return new TransportResult(null, outcomes);
            }

            var final = await connection.SendDataAsync(content, options.FinalTimeout, cancellationToken).ConfigureAwait(false);
            if (prdr && final.Code == 353)
            {
                outcomes.AddRange(await ReadPrdrRepliesAsync(connection, accepted, cancellationToken).ConfigureAwait(false));
                return new TransportResult(null, outcomes);
            }

            var status = final.IsPositive ? RecipientStatus.Delivered : final.IsPermanent ? RecipientStatus.Failed : RecipientStatus.Deferred;
            var text = final.IsPositive ? final.ToString() : $"SMTP error from remote mail server after end of data: {final}";
            outcomes.AddRange(accepted.Select(r => new RecipientOutcome(r, status, text, Refused(RetryErrorKind.Data, final))));
            return new TransportResult(null, outcomes);
        }
        catch (SmtpProtocolException e)
        {
            return HostError(e.Message, RetryError.Broken(e));
        }
    }

    /// <summary>Says QUIT and closes; a server that drops first changes nothing.</summary>
    public async Task CloseAsync(SmtpClientConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            await connection.CommandAsync("QUIT", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SmtpProtocolException or OperationCanceledException or ObjectDisposedException)
        {
            // Nothing is left to settle on this connection.
        }

        await connection.DisposeAsync().ConfigureAwait(false);
    }

    // The content in BDAT chunks of at most BdatChunkSize bytes (RFC 3030 §2), each waiting for
    // its reply; the last chunk's reply is the message's, as the reply after DATA's content is.
    // After a refused chunk no other is sent, and RSET ends the transaction.
    private async Task<IEnumerable<RecipientOutcome>> SendChunksAsync(SmtpClientConnection connection, List<Recipient> accepted,
        ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var size = options.BdatChunkSize;
        for (var offset = 0; ; offset += size)
        {
            var last = content.Length - offset <= size;
            var chunk = content.Slice(offset, last ? content.Length - offset : size);
            var reply = await connection.SendChunkAsync(chunk, last, last ? options.FinalTimeout : options.CommandTimeout, cancellationToken)
                .ConfigureAwait(false);
            if (last || !reply.IsPositive)
            {
                if (!last)
                    await connection.CommandAsync("RSET", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
                var status = reply.IsPositive ? RecipientStatus.Delivered : reply.IsPermanent ? RecipientStatus.Failed : RecipientStatus.Deferred;
                var text = reply.IsPositive ? reply.ToString()
                    : $"SMTP error from remote mail server after {(last ? "end of data" : "BDAT")}: {reply}";
                return accepted.Select(r => new RecipientOutcome(r, status, text, Refused(RetryErrorKind.Data, reply))).ToList();
            }
        }
    }

    // After 353, one reply per accepted recipient in RCPT order, then the message's final
    // reply. A final refusal also undoes the recipients the server had accepted.
    private async Task<List<RecipientOutcome>> ReadPrdrRepliesAsync(SmtpClientConnection connection, List<Recipient> accepted,
        CancellationToken cancellationToken)
    {
        var replies = new List<SmtpReply>(accepted.Count);
        foreach (var _ in accepted)
            replies.Add(await connection.ReadReplyAsync(options.FinalTimeout, cancellationToken).ConfigureAwait(false));
        var final = await connection.ReadReplyAsync(options.FinalTimeout, cancellationToken).ConfigureAwait(false);

        var outcomes = new List<RecipientOutcome>(accepted.Count);
        for (var i = 0; i < accepted.Count; i++)
        {
            var reply = replies[i];
            if (reply.IsPositive && !final.IsPositive)
                outcomes.Add(new RecipientOutcome(accepted[i], final.IsPermanent ? RecipientStatus.Failed : RecipientStatus.Deferred,
                    $"SMTP error from remote mail server after end of data (PRDR final reply): {final}", Refused(RetryErrorKind.Data, final)));
            else if (reply.IsPositive)
                outcomes.Add(new RecipientOutcome(accepted[i], RecipientStatus.Delivered, reply.ToString()));
            else
                outcomes.Add(new RecipientOutcome(accepted[i], reply.IsPermanent ? RecipientStatus.Failed : RecipientStatus.Deferred,
                    $"SMTP error from remote mail server after end of data (PRDR reply for {accepted[i].Address}): {reply}", Refused(RetryErrorKind.Data, reply)));
        }

        return outcomes;
    }

    // BODY (RFC 6152), SMTPUTF8 (RFC 6531) and the DSN parameters (RFC 3461) the message came
    // with, to a server that offers them; REQUIRETLS (RFC 8689) only goes where it is offered.
    private static string MailParameters(SmtpClientConnection connection, MessageReceived message)
    {
        var parameters = new StringBuilder();
        if (message.BodyType.Equals("8BITMIME", StringComparison.OrdinalIgnoreCase) && Offers(connection, "8BITMIME"))
            parameters.Append(" BODY=8BITMIME");
        if (IsBinary(message))
            parameters.Append(" BODY=BINARYMIME");
        if (message.SmtpUtf8 && Offers(connection, "SMTPUTF8"))
            parameters.Append(" SMTPUTF8");
        if (message.RequireTls)
            parameters.Append(" REQUIRETLS");
        if (Offers(connection, "DSN"))
        {
            if (message.DsnReturn is { } ret)
                parameters.Append(" RET=").Append(ret);
            if (message.DsnEnvelopeId is { } envelopeId)
                parameters.Append(" ENVID=").Append(Xtext.Encode(envelopeId));
        }

        return parameters.ToString();
    }

    private static string RcptParameters(SmtpClientConnection connection, Recipient recipient)
    {
        if (!Offers(connection, "DSN"))
            return "";
        return (recipient.Notify is null ? "" : $" NOTIFY={recipient.Notify}")
            + (recipient.OriginalRecipient is null ? "" : $" ORCPT={recipient.OriginalRecipient}");
    }

    // Why the server cannot take the message as it is, or null.
    private static string? Unsendable(SmtpClientConnection connection, MessageReceived message, IReadOnlyList<Recipient> recipients,
        ReadOnlySpan<byte> content)
    {
        var headers = content.IndexOf("\r\n\r\n"u8) is var end and >= 0 ? content[..end] : content;
        var needsUtf8 = message.SmtpUtf8 && (!Ascii.IsValid(message.Sender) || recipients.Any(r => !Ascii.IsValid(r.Address)) || !Ascii.IsValid(headers));
        if (needsUtf8 && !Offers(connection, "SMTPUTF8"))
            return "the message needs SMTPUTF8 (RFC 6531: UTF-8 in its addresses or headers), which the server does not offer";
        if (message.BodyType.Equals("8BITMIME", StringComparison.OrdinalIgnoreCase) && !Offers(connection, "8BITMIME") && !Ascii.IsValid(content))
            return "the message has 8-bit content (BODY=8BITMIME), and the server does not offer 8BITMIME (RFC 6152)";
        if (IsBinary(message) && !(Offers(connection, "BINARYMIME") && Offers(connection, "CHUNKING")))
            return "the message is binary (BODY=BINARYMIME), and the server does not offer BINARYMIME and CHUNKING (RFC 3030)";
        return null;
    }

    private static bool IsBinary(MessageReceived message) => message.BodyType.Equals("BINARYMIME", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// SMTP AUTH with <paramref name="credentials"/> on a session <see cref="OpenAsync"/> opened
    /// (<paramref name="opened"/>, without a host error): PLAIN or LOGIN, only under TLS. Returns
    /// <paramref name="opened"/> when the server accepted, else with the host error
    /// (<c>auth_failed</c>, or <c>tls_required</c> for a connection in the clear).
    /// </summary>
    public async Task<OpenResult> AuthenticateAsync(SmtpClientConnection connection, SmtpCredentials credentials, OpenResult opened,
        CancellationToken cancellationToken)
    {
        try
        {
            return await ClientAuthentication.AuthenticateAsync(connection, credentials, options.CommandTimeout, cancellationToken).ConfigureAwait(false)
                is { } refused
                ? opened with { HostError = refused.Error, HostErrorType = refused.Type }
                : opened;
        }
        catch (SmtpProtocolException e)
        {
            return opened with { HostError = e.Message, HostErrorType = RetryError.Broken(e) };
        }
    }

    // True when the server's EHLO reply names the extension.
    private static bool Offers(SmtpClientConnection connection, string extension) =>
        connection.Hello?.Lines.Skip(1).Any(l => l.Equals(extension, StringComparison.OrdinalIgnoreCase)
            || l.StartsWith(extension + " ", StringComparison.OrdinalIgnoreCase)) == true;

    private static TransportResult HostError(string error, RetryError? type = null) => new(error, [], type);

    private static readonly RetryError TlsRequired = new(RetryErrorKind.TlsRequired);

    // The retry error of a refusal at a command: its type for a 4xx, null for what does not defer.
    private static RetryError? Refused(RetryErrorKind kind, SmtpReply reply) => reply.IsTransient ? new RetryError(kind, reply.Code) : null;
}

/// <summary>How opening a connection went.</summary>
/// <param name="Greeting">The server's greeting, when one came.</param>
/// <param name="HostError">Why the host cannot take the message now, or null when the session is open.</param>
/// <param name="TlsError">Why TLS failed, when it did (<c>tls:fail:connect</c>).</param>
/// <param name="RetryInClear">True when TLS failed where it is not required: a new connection may try in the clear.</param>
/// <param name="TlsResultType">
/// When TLS failed (<paramref name="TlsError"/>), or was required and the server did not offer or refused STARTTLS:
/// the failure as TLS reports name it (<see cref="TlsRptNames"/>).
/// </param>
/// <param name="HostErrorType">The type of <paramref name="HostError"/> for the retry rules (<c>tls_required</c>, <c>timeout</c> ...), or null.</param>
public sealed record OpenResult(SmtpReply? Greeting, string? HostError, string? TlsError = null, bool RetryInClear = false,
    string? TlsResultType = null, RetryError? HostErrorType = null);
