using MassTransit;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Policy;

namespace Pipeline.Policy.Verdicts;

/// <summary>
/// Answers ingress's <see cref="CheckPolicy"/> requests. A request whose deadline has passed
/// is dropped unanswered: ingress has already deferred, and an answer would be ignored. The
/// deadline also bounds the work (DNS and Redis lookups) of the ones it answers.
/// </summary>
public sealed class CheckPolicyConsumer(IVerdictSource verdicts, ILogger<CheckPolicyConsumer> log) : IConsumer<CheckPolicy>
{
    /// <inheritdoc />
    public async Task Consume(ConsumeContext<CheckPolicy> context)
    {
        var check = context.Message;
        if (check.Deadline < DateTimeOffset.UtcNow)
        {
            log.LogWarning("Dropped a {Stage} check of connection {ConnectionId}: its deadline passed", check.Stage, check.ConnectionId);
            return;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        deadline.CancelAfter(check.Deadline - DateTimeOffset.UtcNow);
        PolicyVerdict verdict;
        try
        {
            verdict = await verdicts.DecideAsync(check, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            log.LogWarning("Gave up a {Stage} check of connection {ConnectionId} at its deadline", check.Stage, check.ConnectionId);
            return;
        }

        // A verdict is worth nothing after its request's deadline: the broker need not keep it on disk.
        await context.RespondAsync(verdict, c => c.Durable = false).ConfigureAwait(false);
    }
}
