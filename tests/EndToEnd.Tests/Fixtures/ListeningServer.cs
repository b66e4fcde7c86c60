namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>A server program a test started, listening on one port of 127.0.0.1; disposing it stops it.</summary>
public abstract class ListeningServer(ServerProcess server, int port) : IAsyncDisposable
{
    public int Port { get; } = port;

    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return server.DisposeAsync();
    }
}
