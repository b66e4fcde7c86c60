namespace Pipeline.Contracts;

/// <summary>
/// Binds a lifecycle event type to its name in the event store, the logs and the feeds.
/// Names follow Exim's event list (<c>msg:delivery</c>, <c>tcp:connect</c> ...); the
/// pipeline's own events use the same <c>area:what</c> form (<c>msg:received</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class LifecycleEventAttribute(string name) : Attribute
{
    /// <summary>The event's name, e.g. <c>msg:delivery</c>.</summary>
    public string Name { get; } = name;
}
