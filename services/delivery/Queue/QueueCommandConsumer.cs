using MassTransit;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Queue;

namespace Pipeline.Delivery.Queue;

/// <summary>
/// Carries out an operator's retry or cancel of one queued message, sent by the events role's
/// API to any delivery worker. Neither touches a message an attempt holds: the operator is told
/// to ask again, so that a cancel can never race a delivery that is under way.
/// </summary>
public sealed class QueueCommandConsumer(QueueClaims claims, QueueRunner runner, MessageDeliverer deliverer, ILogger<QueueCommandConsumer> log)
    : IConsumer<RetryMessage>, IConsumer<CancelMessage>
{
    /// <inheritdoc />
    public async Task Consume(ConsumeContext<RetryMessage> context)
    {
        var id = context.Message.MessageId;
        var state = await claims.ForceAsync(id, context.CancellationToken).ConfigureAwait(false);
        if (state == QueueCommandOutcome.Done)
        {
            log.LogInformation("Message {MessageId}: retry forced by an operator", id);
            runner.Wake();
        }

        await context.RespondAsync(Result(id, state, "due now; its hosts are tried whatever their retry times")).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task Consume(ConsumeContext<CancelMessage> context)
    {
        var id = context.Message.MessageId;
        var state = await claims.ClaimAsync(id, context.CancellationToken).ConfigureAwait(false);
        if (state == QueueCommandOutcome.Done)
        {
            try
            {
                if (!await deliverer.CancelAsync(id, context.Message.By, context.CancellationToken).ConfigureAwait(false))
                    state = QueueCommandOutcome.NotQueued;
                else
                    log.LogInformation("Message {MessageId}: cancelled by an operator ({By})", id, context.Message.By);
            }
            catch
            {
                await claims.ReleaseAsync(id, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }

        await context.RespondAsync(Result(id, state, "cancelled: its pending recipients failed and the sender gets a bounce")).ConfigureAwait(false);
    }

    private static QueueCommandResult Result(string id, QueueCommandOutcome outcome, string done) => new(id, outcome, outcome switch
    {
        QueueCommandOutcome.Done => done,
        QueueCommandOutcome.Busy => "a delivery attempt holds it now; ask again when it ends",
        _ => "not in the queue",
    });
}
