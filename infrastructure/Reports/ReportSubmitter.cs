using Marten;
using MassTransit;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Events;
using Pipeline.Contracts.Queue;
using Pipeline.Infrastructure.Store;

namespace Pipeline.Infrastructure.Reports;

/// <summary>
/// Sends reports (DMARC, TLS-RPT ...) through the pipeline itself, exactly once: the report's
/// <see cref="ReportClaim"/>, its bytes and its <c>msg:received</c> are committed in one
/// transaction, as delivery commits a bounce, so that the queue takes it like any message and
/// a second process making the same report fails on the claim and stores nothing.
/// </summary>
public sealed class ReportSubmitter(IDocumentStore store, RawMessageStore raw, ReportClaims claims, ILogger<ReportSubmitter> log,
    TimeProvider? clock = null, IBus? publish = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>The claims, to ask whether a report was made or how many were made lately.</summary>
    public ReportClaims Claims => claims;

    /// <summary>
    /// Claims <paramref name="claim"/> and queues <paramref name="message"/> for
    /// <paramref name="recipients"/>; returns the new message's id, or null when the report was
    /// claimed before (then nothing is stored). Throws when the store failed: nothing was stored,
    /// and the report may be made again.
    /// </summary>
    /// <param name="claim">What the report covers.</param>
    /// <param name="sender">The envelope sender; empty for the null sender.</param>
    /// <param name="recipients">The envelope recipients, at least one.</param>
    /// <param name="message">The whole message (RFC 5322), e.g. from <see cref="ReportMail.Compose"/>.</param>
    /// <param name="cancellationToken">Stops the commit.</param>
    public async Task<string?> SubmitAsync(ReportClaim claim, string sender, IReadOnlyList<string> recipients, byte[] message,
        CancellationToken cancellationToken)
    {
        if (recipients.Count == 0)
            throw new ArgumentException("a report needs at least one recipient", nameof(recipients));
        var now = _clock.GetUtcNow();
        var received = new MessageReceived(MessageIds.New(now), ConnectionId: "", Sender: sender, recipients.Select(Recipient.Parse).ToList(),
            message.Length, HostAddress: "", HostPort: 0, Helo: null, Protocol: "local", InterfaceAddress: "", InterfacePort: 0, ReceivedAt: now);
        if (!await CommitAsync(claim, received, message, cancellationToken).ConfigureAwait(false))
            return null;

        log.LogInformation("Report {Kind} for {Key} ({Start:u} to {End:u}) queued as {MessageId} to {Recipients}", claim.Kind, claim.Key,
            claim.PeriodStart, claim.PeriodEnd, received.MessageId, string.Join(", ", recipients));
        // Only a wake-up: delivery finds the message at its next queue poll without it.
        if (publish is not null)
        {
            try
            {
                await publish.Publish(new MessageQueued([received.MessageId]), c => c.Durable = false, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogDebug(e, "Could not announce report {MessageId}", received.MessageId);
            }
        }

        return received.MessageId;
    }

    /// <summary>
    /// Claims <paramref name="claim"/> with nothing to send (no destination would take the
    /// report), so that it is not made again; false when it was claimed before.
    /// </summary>
    public Task<bool> ClaimOnlyAsync(ReportClaim claim, CancellationToken cancellationToken) =>
        CommitAsync(claim, null, null, cancellationToken);

    private async Task<bool> CommitAsync(ReportClaim claim, MessageReceived? received, byte[]? data, CancellationToken cancellationToken)
    {
        await using var session = store.LightweightSession();
        claims.Add(session, claim, received?.MessageId);
        if (received is not null)
        {
            raw.Add(session, received.MessageId, data!);
            session.Events.StartStream(received.MessageId, received);
        }

        try
        {
            await session.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (ReportClaims.IsClaimedBefore(e))
        {
            log.LogDebug("Report {Kind} for {Key} from {Start:u} was claimed before", claim.Kind, claim.Key, claim.PeriodStart);
            return false;
        }
    }
}
