using System.Reflection;
using Pipeline.Contracts.Events;

namespace Pipeline.Contracts;

/// <summary>The catalogue of lifecycle event types and their names.</summary>
public static class LifecycleEvents
{
    /// <summary>Every lifecycle event type, each with its name.</summary>
    public static IReadOnlyDictionary<Type, string> Names { get; } =
        typeof(MessageReceived).Assembly.GetTypes()
            .Select(t => (Type: t, Attribute: t.GetCustomAttribute<LifecycleEventAttribute>()))
            .Where(x => x.Attribute is not null)
            .ToDictionary(x => x.Type, x => x.Attribute!.Name);

    /// <summary>The name a lifecycle event type is known by.</summary>
    /// <exception cref="ArgumentException">The type is not a lifecycle event.</exception>
    public static string NameOf(Type type) =>
        Names.TryGetValue(type, out var name)
            ? name
            : throw new ArgumentException($"{type} is not a lifecycle event", nameof(type));
}
