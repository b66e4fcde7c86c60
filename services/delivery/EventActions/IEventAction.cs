namespace Pipeline.Delivery.EventActions;

/// <summary>
/// Exim's <c>event_action</c> for delivery: sees every event, by name and with its data, before
/// the pipeline goes on. A non-empty result vetoes what Exim's table says it vetoes:
/// <c>tcp:connect</c> (the connection is not made), <c>smtp:connect</c> (the connection is
/// closed), <c>tls:cert</c> (the certificate does not verify); for every other event it is
/// ignored. Register another implementation in the service collection to run it in-process.
/// </summary>
public interface IEventAction
{
    /// <summary>Raises <paramref name="name"/> with <paramref name="data"/> (a lifecycle event record); returns the hook's result, null or empty for none.</summary>
    Task<string?> RaiseAsync(string name, object data, CancellationToken cancellationToken);
}

/// <summary>No hook: nothing is vetoed.</summary>
public sealed class NoEventAction : IEventAction
{
    /// <inheritdoc />
    public Task<string?> RaiseAsync(string name, object data, CancellationToken cancellationToken) => Task.FromResult<string?>(null);
}
