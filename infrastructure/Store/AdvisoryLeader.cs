using Microsoft.Extensions.Logging;
using Npgsql;

namespace Pipeline.Infrastructure.Store;

/// <summary>
/// Leader election among the processes of one role with a PostgreSQL session advisory lock, as
/// Marten's async daemon elects its leader: whoever holds the lock runs the work; its death
/// closes its connection and frees the lock for another, which takes over within
/// <see cref="RetryInterval"/>. The lock's connection is checked every
/// <see cref="CheckInterval"/>; when it fails the work is cancelled at once, so that two
/// processes never do it together for longer than that.
/// </summary>
public sealed class AdvisoryLeader(NpgsqlDataSource database, string name, string scope, ILogger log)
{
    /// <summary>How often a follower tries to take the lock.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the leader checks that its lock's connection still answers.</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Runs <paramref name="work"/> whenever this process leads, until
    /// <paramref name="stoppingToken"/> fires; the work's token fires when leadership is lost.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> work, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await database.OpenConnectionAsync(stoppingToken).ConfigureAwait(false);
                if (await TryLockAsync(connection, stoppingToken).ConfigureAwait(false))
                {
                    log.LogInformation("This process leads {Name}", name);
                    using var leading = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    var watch = WatchAsync(connection, leading, stoppingToken);
                    try
                    {
                        await work(leading.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (leading.IsCancellationRequested)
                    {
                        // Leadership lost or stopping.
                    }
                    finally
                    {
                        await leading.CancelAsync().ConfigureAwait(false);
                        await watch.ConfigureAwait(false);
                    }

                    if (!stoppingToken.IsCancellationRequested)
                        log.LogWarning("This process lost the lead of {Name}", name);
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning("Could not take the lead of {Name}: {Error}", name, e.Message);
            }

            try
            {
                await Task.Delay(RetryInterval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // Two 32-bit keys: their space is not the one of single 64-bit keys, which Marten's daemon uses.
    private async Task<bool> TryLockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select pg_try_advisory_lock(hashtext($1), hashtext($2))", connection);
        command.Parameters.AddWithValue(name);
        command.Parameters.AddWithValue(scope);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }

    // Cancels the work as soon as the lock's connection stops answering: its lock may be gone.
    private async Task WatchAsync(NpgsqlConnection connection, CancellationTokenSource leading, CancellationToken stoppingToken)
    {
        try
        {
            while (!leading.IsCancellationRequested)
            {
                await Task.Delay(CheckInterval, leading.Token).ConfigureAwait(false);
                await using var command = new NpgsqlCommand("select 1", connection) { CommandTimeout = Math.Max(1, (int)CheckInterval.TotalSeconds) };
                await command.ExecuteScalarAsync(leading.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (leading.IsCancellationRequested)
        {
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            log.LogWarning("The lock of {Name} is out of reach ({Error}); stopping its work", name, e.Message);
            await leading.CancelAsync().ConfigureAwait(false);
        }
    }
}
