using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Pipeline.Infrastructure.Store;

/// <summary>
/// Waits at start-up until PostgreSQL answers, trying again after 1 s, 2 s, 4 s ... up to 30 s
/// between tries, so that the roles may start before their database (as under compose, or
/// after a reboot) instead of failing. Registered before the store's schema is applied.
/// </summary>
public sealed class StoreAvailability(NpgsqlDataSource database, ILogger<StoreAvailability> log) : IHostedService
{
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var wait = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                await using var connection = await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                // The message names the host and the error, never the password.
                log.LogWarning("PostgreSQL does not answer ({Error}); trying again in {Wait}", e.Message, wait);
            }

            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            wait = wait * 2 < Longest ? wait * 2 : Longest;
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
