using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Pipeline.Policy.Lookups;

/// <summary>A Redis lookup that no server could answer: rules defer, never accept.</summary>
public sealed class RedisUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Exim's <c>${lookup redis{COMMAND args}}</c>: runs one Redis command on the first server of
/// <c>Policy:RedisServers</c> that answers, the others tried in order. An array reply becomes
/// its elements, one per line (a list for <c>&lt;\n</c>); a nil reply is empty.
/// </summary>
public sealed class RedisLookup(PolicyOptions options, ILogger<RedisLookup> log) : IAsyncDisposable
{
    private readonly List<RedisServer> _servers = options.RedisServers.Select(RedisServer.Parse).ToList();
    private readonly Dictionary<RedisServer, Lazy<Task<ConnectionMultiplexer>>> _connections = [];
    private readonly Lock _lock = new();

    /// <summary>True when servers are configured.</summary>
    public bool IsConfigured => _servers.Count > 0;

    /// <summary>Runs <paramref name="command"/> (words separated by spaces; <c>\ </c> keeps a space in a word).</summary>
    /// <exception cref="RedisUnavailableException">No server answered, or none is configured.</exception>
    public async Task<string> LookupAsync(string command)
    {
        var words = Words(command);
        if (words.Count == 0)
            throw new RedisUnavailableException("empty Redis command");
        if (_servers.Count == 0)
            throw new RedisUnavailableException("a Redis lookup, but Policy:RedisServers is empty");

        Exception? last = null;
        foreach (var server in _servers)
        {
            try
            {
                var connection = await Connection(server).ConfigureAwait(false);
                var database = connection.GetDatabase(server.Database ?? -1);
                var result = await database.ExecuteAsync(words[0], words.Skip(1).Cast<object>().ToArray()).ConfigureAwait(false);
                return Text(result);
            }
            catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException or RedisServerException or TimeoutException)
            {
                // A server-side error (a wrong command) is the rule's mistake, not the server's; still, no answer.
                log.LogWarning("Redis lookup '{Command}' failed on {Server}: {Error}", words[0], server, e.Message);
                last = e;
                if (e is RedisServerException)
                    break;
                Forget(server);
            }
        }

        throw new RedisUnavailableException($"Redis lookup '{words[0]}' failed: {last?.Message}", last);
    }

    private static string Text(RedisResult result)
    {
        if (result.IsNull)
            return "";
        if (result.Resp2Type == ResultType.Array)
            return string.Join('\n', ((RedisResult[])result!).Select(Text));
        return result.ToString() ?? "";
    }

    private Task<ConnectionMultiplexer> Connection(RedisServer server)
    {
        lock (_lock)
        {
            if (!_connections.TryGetValue(server, out var connection))
            {
                var configuration = new ConfigurationOptions
                {
                    EndPoints = { { server.Host, server.Port } },
                    Password = server.Password,
                    AbortOnConnectFail = true,
                    ConnectTimeout = 2000,
                    SyncTimeout = 2000,
                    AsyncTimeout = 2000,
                    ConnectRetry = 0,
                };
                connection = new Lazy<Task<ConnectionMultiplexer>>(() => ConnectionMultiplexer.ConnectAsync(configuration));
                _connections[server] = connection;
            }

            return connection.Value;
        }
    }

    // A server that failed is connected afresh next time.
    private void Forget(RedisServer server)
    {
        lock (_lock)
            _connections.Remove(server);
    }

    private static List<string> Words(string command)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        for (var i = 0; i < command.Length; i++)
        {
            if (command[i] == '\\' && i + 1 < command.Length)
            {
                word.Append(command[++i]);
            }
            else if (char.IsWhiteSpace(command[i]))
            {
                if (word.Length > 0)
                    words.Add(word.ToString());
                word.Clear();
            }
            else
            {
                word.Append(command[i]);
            }
        }

        if (word.Length > 0)
            words.Add(word.ToString());
        return words;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections.Values.Where(c => c.IsValueCreated))
        {
            try
            {
                await (await connection.Value.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            }
            catch (RedisConnectionException)
            {
                // Never connected: nothing to close.
            }
        }
    }
}
