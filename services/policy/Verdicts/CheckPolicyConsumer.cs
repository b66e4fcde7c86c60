using MassTransit;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Policy;

namespace Pipeline.Policy.Verdicts;

/// <summary>
/// Answers ingress's <see cref="CheckPolicy"/> requests. A request whose deadline has passed
/// is dropped unanswered: ingress has already deferred, and an answer would be ignored.
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

        var verdict = await verdicts.DecideAsync(check, context.CancellationToken).ConfigureAwait(false);
        await context.RespondAsync(verdict).ConfigureAwait(false);
    }
}
