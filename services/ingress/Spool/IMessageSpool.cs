using Pipeline.Contracts.Events;

namespace Pipeline.Ingress.Spool;

/// <summary>
/// Where a session commits an accepted message before it answers 250: <see cref="MessageSpooler"/>
/// in the service, an in-memory spool in the session's transcript tests.
/// </summary>
public interface IMessageSpool
{
    /// <summary>Commits the message; throws when it could not (or ingress is stopping), and then nothing of it was stored.</summary>
    Task CommitAsync(MessageReceived received, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}
