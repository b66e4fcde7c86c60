using MassTransit;
using Pipeline.Contracts.Queue;

namespace Pipeline.Delivery.Queue;

/// <summary>Wakes the queue runner when ingress announces a message.</summary>
public sealed class MessageQueuedConsumer(QueueRunner runner) : IConsumer<MessageQueued>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<MessageQueued> context)
    {
        runner.Wake();
        return Task.CompletedTask;
    }
}
