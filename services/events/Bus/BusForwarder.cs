using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Subscriptions;
using MassTransit;
using Pipeline.Contracts;

namespace Pipeline.Events.Bus;

/// <summary>
/// Publishes every lifecycle event on the bus, in global order, as its contract type
/// (<c>Pipeline.Contracts.Events:RecipientDelivered</c> ...), so that other services can
/// subscribe with a plain MassTransit consumer. A Marten subscription: at least once, resumed
/// after a restart from its stored progress. The bus message id is the event's id, for
/// consumers that deduplicate.
/// </summary>
public sealed class BusForwarder : SubscriptionBase
{
    private readonly IBus _bus;

    /// <summary>The subscription's name in Marten's progress table.</summary>
    public const string SubscriptionName = "bus-forwarder";

    /// <summary>Header: the event's global sequence.</summary>
    public const string SequenceHeader = "Pipeline-Sequence";

    /// <summary>Header: the event's name, e.g. <c>msg:delivery</c>.</summary>
    public const string NameHeader = "Pipeline-Event";

    /// <summary>Header: the event's id, the same on a replay.</summary>
    public const string EventIdHeader = "Pipeline-Event-Id";

    /// <summary>Header, on replays only: <c>true</c>.</summary>
    public const string ReplayedHeader = "Pipeline-Replayed";

    /// <summary>
    /// Subscribes to every lifecycle event, from the moment the forwarder first runs: history
    /// from before goes on the bus only when replayed (<c>POST /replay</c>).
    /// </summary>
    public BusForwarder(IBus bus)
    {
        _bus = bus;
        Name = SubscriptionName;
        foreach (var type in LifecycleEvents.Names.Keys)
            IncludeType(type);
        Options.SubscribeFromPresent();
    }

    /// <inheritdoc />
    public override async Task<IChangeListener> ProcessEventsAsync(EventRange page, ISubscriptionController controller,
        IDocumentOperations operations, CancellationToken cancellationToken)
    {
        foreach (var e in page.Events)
            await PublishAsync(_bus, e, replayed: false, cancellationToken).ConfigureAwait(false);
        return NullChangeListener.Instance;
    }

    /// <summary>Publishes one stored event; a replay gets its own message id and the replay header.</summary>
    public static Task PublishAsync(IBus bus, IEvent e, bool replayed, CancellationToken cancellationToken) =>
        bus.Publish(e.Data, e.EventType, context =>
        {
            context.MessageId = replayed ? NewId.NextGuid() : e.Id;
            context.Headers.Set(SequenceHeader, e.Sequence);
            context.Headers.Set(NameHeader, LifecycleEvents.NameOf(e.EventType));
            context.Headers.Set(EventIdHeader, e.Id.ToString());
            if (replayed)
                context.Headers.Set(ReplayedHeader, "true");
        }, cancellationToken);
}
