using JasperFx.Events;
using Marten.Events.Projections;
using Pipeline.Contracts;

namespace Pipeline.Events.Projections;

/// <summary>Keeps the hourly <see cref="EventCount"/> counters, asynchronously, over every lifecycle event.</summary>
public sealed class EventCountProjection : MultiStreamProjection<EventCount, string>
{
    /// <summary>The projection's name, for rebuilds.</summary>
    public const string ProjectionName = "event-counts";

    /// <summary>Takes every lifecycle event, each to the counters of its hour, name and domains.</summary>
    public EventCountProjection()
    {
        Name = ProjectionName;
        foreach (var type in LifecycleEvents.Names.Keys)
            IncludeType(type);
        CustomGrouping((_, events, grouping) =>
        {
            foreach (var e in events)
            {
                foreach (var id in EventCount.Concerned(e))
                    grouping.AddEvent(id, e);
            }

            return Task.CompletedTask;
        });
    }

    /// <inheritdoc />
    public override EventCount? Evolve(EventCount? snapshot, string id, IEvent e) => EventCount.Add(snapshot, id);
}
