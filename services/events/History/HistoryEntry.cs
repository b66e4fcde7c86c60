using System.Text.Json;
using JasperFx.Events;
using Pipeline.Contracts;

namespace Pipeline.Events.History;

/// <summary>One event as <c>GET /messages/{id}/events</c> shows it.</summary>
/// <param name="Sequence">The global sequence number: the cursor of every reader.</param>
/// <param name="Version">The event's position in its stream, counting from 1.</param>
/// <param name="Name">The event's name, e.g. <c>msg:delivery</c>.</param>
/// <param name="Time">When it was stored.</param>
/// <param name="Data">The event's fields.</param>
public sealed record HistoryEntry(long Sequence, long Version, string Name, DateTimeOffset Time, JsonElement Data)
{
    /// <summary>Shapes a stored event.</summary>
    public static HistoryEntry From(IEvent e, JsonSerializerOptions json) =>
        new(e.Sequence, e.Version, LifecycleEvents.NameOf(e.EventType), e.Timestamp,
            JsonSerializer.SerializeToElement(e.Data, e.EventType, json));
}
