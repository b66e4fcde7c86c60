using Npgsql;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// A PostgreSQL role of a test's own for its pipeline to log in as, so that the test can change
/// what the store does for that pipeline alone (read-only, another default tablespace) on the
/// server the other tests share. Disposing ends its sessions and drops it with what it owns.
/// </summary>
public sealed class StoreRole : IAsyncDisposable
{
    private StoreRole(string name) => Name = name;

    /// <summary>The role's name, also usable as a tablespace's.</summary>
    public string Name { get; }

    /// <summary>The test server's connection string, logging in as this role.</summary>
    public string ConnectionString => new NpgsqlConnectionStringBuilder(TestEnvironment.Postgres) { Username = Name }.ConnectionString;

    /// <summary>Creates a superuser role with a new name starting with <paramref name="prefix"/>.</summary>
    public static async Task<StoreRole> CreateAsync(string prefix)
    {
        var role = new StoreRole($"{prefix}_{Guid.NewGuid():N}"[..20]);
        await TestDatabase.ExecuteAsync($"create role {role.Name} login superuser");
        return role;
    }

    /// <summary>Sets one of the role's defaults (<c>alter role ... set</c>); its new sessions take it.</summary>
    public Task<int> SetAsync(string setting, string value) => TestDatabase.ExecuteAsync($"alter role {Name} set {setting} = {value}");

    /// <summary>Resets one of the role's defaults.</summary>
    public Task<int> ResetAsync(string setting) => TestDatabase.ExecuteAsync($"alter role {Name} reset {setting}");

    /// <summary>Ends the role's sessions: the pipeline's pools open new ones, which take the role's defaults.</summary>
    public Task<int> CutAsync() =>
        TestDatabase.ExecuteAsync("select count(pg_terminate_backend(pid)) from pg_stat_activity where usename = $1", Name);

    public async ValueTask DisposeAsync()
    {
        await CutAsync();
        await TestDatabase.ExecuteAsync($"drop owned by {Name} cascade");
        await TestDatabase.ExecuteAsync($"drop role {Name}");
    }
}
