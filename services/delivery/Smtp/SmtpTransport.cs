using Pipeline.Contracts.Events;
using Pipeline.Delivery.Protocol;

namespace Pipeline.Delivery.Smtp;

/// <summary>
/// Exim's <c>remote_smtp</c> transport: one mail transaction on an open connection (RFC 5321
/// §3.3): EHLO (HELO when refused), MAIL with SIZE when offered, RCPT per recipient, DATA,
/// QUIT. Replies decide per recipient; a refusal of the host as a whole is reported as a host
/// error so that the next host can be tried.
/// </summary>
public sealed class SmtpTransport(DeliveryOptions options)
{
    /// <summary>The transport's name in events and logs.</summary>
    public const string Name = "remote_smtp";

    /// <summary>Runs the transaction; never throws for what the server says or does.</summary>
    public async Task<TransportResult> SendAsync(SmtpClientConnection connection, string sender,
        IReadOnlyList<Recipient> recipients, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        SmtpReply? greeting = null;
        try
        {
            greeting = await connection.ReadReplyAsync(options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            if (!greeting.IsPositive)
                return HostError($"SMTP error from remote mail server after initial connection: {greeting}", greeting);

            var hello = await connection.CommandAsync($"EHLO {options.HeloData}", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            var extended = hello.IsPositive;
            if (!extended)
            {
                hello = await connection.CommandAsync($"HELO {options.HeloData}", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
                if (!hello.IsPositive)
                    return HostError($"SMTP error from remote mail server after HELO {options.HeloData}: {hello}", greeting);
            }

            var size = extended && hello.Lines.Skip(1).Any(l => l.StartsWith("SIZE", StringComparison.OrdinalIgnoreCase))
                ? $" SIZE={content.Length}"
                : "";
            var mail = await connection.CommandAsync($"MAIL FROM:<{sender}>{size}", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            if (mail.IsTransient)
                return HostError($"SMTP error from remote mail server after MAIL FROM:<{sender}>: {mail}", greeting);
            if (!mail.IsPositive)
                return await EndAsync(connection, greeting, recipients.Select(r => new RecipientOutcome(r, RecipientStatus.Failed,
                    $"SMTP error from remote mail server after MAIL FROM:<{sender}>: {mail}")), cancellationToken).ConfigureAwait(false);

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
                return await EndAsync(connection, greeting, outcomes, cancellationToken).ConfigureAwait(false);

            var data = await connection.CommandAsync("DATA", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            if (data.Code != 354)
            {
                outcomes.AddRange(accepted.Select(r => new RecipientOutcome(r,
                    data.IsPermanent ? RecipientStatus.Failed : RecipientStatus.Deferred,
                    $"SMTP error from remote mail server after DATA: {data}")));
                return await EndAsync(connection, greeting, outcomes, cancellationToken).ConfigureAwait(false);
            }

            var final = await connection.SendDataAsync(content, options.FinalTimeout, cancellationToken).ConfigureAwait(false);
            var status = final.IsPositive ? RecipientStatus.Delivered : final.IsPermanent ? RecipientStatus.Failed : RecipientStatus.Deferred;
            var text = final.IsPositive ? final.ToString() : $"SMTP error from remote mail server after end of data: {final}";
            outcomes.AddRange(accepted.Select(r => new RecipientOutcome(r, status, text)));
            return await EndAsync(connection, greeting, outcomes, cancellationToken).ConfigureAwait(false);
        }
        catch (SmtpProtocolException e)
        {
            return HostError(e.Message, greeting);
        }
    }

    private async Task<TransportResult> EndAsync(SmtpClientConnection connection, SmtpReply greeting,
        IEnumerable<RecipientOutcome> outcomes, CancellationToken cancellationToken)
    {
        var result = new TransportResult(null, outcomes.ToList(), greeting);
        try
        {
            await connection.CommandAsync("QUIT", options.CommandTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (SmtpProtocolException)
        {
            // The outcomes are settled; a server that drops at QUIT changes nothing.
        }

        return result;
    }

    private static TransportResult HostError(string error, SmtpReply? greeting) => new(error, [], greeting);
}
