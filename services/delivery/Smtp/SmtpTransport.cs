using Pipeline.Contracts.Events;
using Pipeline.Delivery.Protocol;

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
public sealed class SmtpTransport(DeliveryOptions options)
{
    /// <summary>The transport's name in events and logs.</summary>
    public const string Name = "remote_smtp";

    /// <summary>Reads the greeting and says hello; returns the greeting and, on failure, the host error.</summary>
    public async Task<(SmtpReply? Greeting, string? HostError)> OpenAsync(SmtpClientConnection connection, CancellationToken cancellationToken)
    {
        SmtpReply? greeting = null;
        try
        {
            greeting = await connection.ReadReplyAsync(options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            if (!greeting.IsPositive)
                return (greeting, $"SMTP error from remote mail server after initial connection: {greeting}");
            var hello = await connection.CommandAsync($"EHLO {options.HeloData}", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            if (hello.IsPositive)
            {
                connection.Hello = hello;
                return (greeting, null);
            }

            hello = await connection.CommandAsync($"HELO {options.HeloData}", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            return hello.IsPositive ? (greeting, null) : (greeting, $"SMTP error from remote mail server after HELO {options.HeloData}: {hello}");
        }
        catch (SmtpProtocolException e)
        {
            return (greeting, e.Message);
        }
    }

    /// <summary>Runs one mail transaction on an open connection.</summary>
    public async Task<TransportResult> SendAsync(SmtpClientConnection connection, string sender,
        IReadOnlyList<Recipient> recipients, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        connection.Transactions++;
        try
        {
            var size = connection.Hello?.Lines.Skip(1).Any(l => l.StartsWith("SIZE", StringComparison.OrdinalIgnoreCase)) == true
                ? $" SIZE={content.Length}"
                : "";
            // With PIPELINING (RFC 2920) MAIL, every RCPT and DATA go in one write; the replies
            // are then read in order, all of them, before anything is decided.
            var pipelining = connection.Hello?.Lines.Skip(1).Any(l => l.Equals("PIPELINING", StringComparison.OrdinalIgnoreCase)) == true;
            // PRDR: each recipient gets the server's own verdict on the content, so that one
            // transaction serves recipients whose filters disagree.
            var prdr = recipients.Count > 1 && Offers(connection, "PRDR") && options.TryPrdr.Contains(connection.Server.Address);
            var mailCommand = $"MAIL FROM:<{sender}>{size}{(prdr ? " PRDR" : "")}";
            string[] rcptCommands = [.. recipients.Select(r => $"RCPT TO:<{r.Address}>")];
            if (pipelining)
                await connection.WriteCommandsAsync([mailCommand, .. rcptCommands, "DATA"], cancellationToken).ConfigureAwait(false);

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
                        $"SMTP error from remote mail server after RCPT TO:<{recipients[i].Address}>: {rcpt}"));
            }

            var data = pipelining
                ? await connection.ReadReplyAsync(options.CommandTimeout, cancellationToken).ConfigureAwait(false)
                : null;
            if (!mail.IsPositive)
            {
                if (data?.Code == 354)
                    await connection.AbortDataAsync(options.FinalTimeout, cancellationToken).ConfigureAwait(false);
                if (mail.IsTransient)
                    return HostError($"SMTP error from remote mail server after MAIL FROM:<{sender}>: {mail}");
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

            data ??= await connection.CommandAsync("DATA", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            if (data.Code != 354)
            {
                outcomes.AddRange(accepted.Select(r => new RecipientOutcome(r,
                    data.IsPermanent ? RecipientStatus.Failed : RecipientStatus.Deferred,
                    $"SMTP error from remote mail server after DATA: {data}")));
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
            outcomes.AddRange(accepted.Select(r => new RecipientOutcome(r, status, text)));
            return new TransportResult(null, outcomes);
        }
        catch (SmtpProtocolException e)
        {
            return HostError(e.Message);
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
                    $"SMTP error from remote mail server after end of data (PRDR final reply): {final}"));
            else if (reply.IsPositive)
                outcomes.Add(new RecipientOutcome(accepted[i], RecipientStatus.Delivered, reply.ToString()));
            else
                outcomes.Add(new RecipientOutcome(accepted[i], reply.IsPermanent ? RecipientStatus.Failed : RecipientStatus.Deferred,
                    $"SMTP error from remote mail server after end of data (PRDR reply for {accepted[i].Address}): {reply}"));
        }

        return outcomes;
    }

    // True when the server's EHLO reply names the extension.
    private static bool Offers(SmtpClientConnection connection, string extension) =>
        connection.Hello?.Lines.Skip(1).Any(l => l.Equals(extension, StringComparison.OrdinalIgnoreCase)
            || l.StartsWith(extension + " ", StringComparison.OrdinalIgnoreCase)) == true;

    private static TransportResult HostError(string error) => new(error, []);
}
