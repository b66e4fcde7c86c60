using Pipeline.Contracts.Events;
using Pipeline.Delivery.Protocol;

namespace Pipeline.Delivery.Smtp;

/// <summary>
/// Exim's <c>remote_smtp</c> transport (RFC 5321 §3.3). <see cref="OpenAsync"/> takes the
/// greeting and says EHLO (HELO when refused); <see cref="SendAsync"/> runs one transaction:
/// MAIL with SIZE when offered, RCPT per recipient, DATA; a connection can carry several,
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
            var mail = await connection.CommandAsync($"MAIL FROM:<{sender}>{size}", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            if (mail.IsTransient)
                return HostError($"SMTP error from remote mail server after MAIL FROM:<{sender}>: {mail}");
            if (!mail.IsPositive)
                return new TransportResult(null, recipients.Select(r => new RecipientOutcome(r, RecipientStatus.Failed,
                    $"SMTP error from remote mail server after MAIL FROM:<{sender}>: {mail}")).ToList(), null);

            var outcomes = new List<RecipientOutcome>();
            var accepted = new List<Recipient>();
            foreach (var recipient in recipients)
            {
                var rcpt = await connection.CommandAsync($"RCPT TO:<{recipient.Address}>", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
                if (rcpt.IsPositive)
                    accepted.Add(recipient);
                else
                    outcomes.Add(new RecipientOutcome(recipient, rcpt.IsPermanent ? RecipientStatus.Failed : RecipientStatus.Deferred,
                        $"SMTP error from remote mail server after RCPT TO:<{recipient.Address}>: {rcpt}"));
            }

            if (accepted.Count == 0)
            {
                // End the transaction so that the connection can carry another.
                await connection.CommandAsync("RSET", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
                return new TransportResult(null, outcomes, null);
            }

            var data = await connection.CommandAsync("DATA", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            if (data.Code != 354)
            {
                outcomes.AddRange(accepted.Select(r => new RecipientOutcome(r,
                    data.IsPermanent ? RecipientStatus.Failed : RecipientStatus.Deferred,
                    $"SMTP error from remote mail server after DATA: {data}")));
                await connection.CommandAsync("RSET", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
                return new TransportResult(null, outcomes, null);
            }

            var final = await connection.SendDataAsync(content, options.FinalTimeout, cancellationToken).ConfigureAwait(false);
            var status = final.IsPositive ? RecipientStatus.Delivered : final.IsPermanent ? RecipientStatus.Failed : RecipientStatus.Deferred;
            var text = final.IsPositive ? final.ToString() : $"SMTP error from remote mail server after end of data: {final}";
            outcomes.AddRange(accepted.Select(r => new RecipientOutcome(r, status, text)));
            return new TransportResult(null, outcomes, null);
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

    private static TransportResult HostError(string error) => new(error, [], null);
}
