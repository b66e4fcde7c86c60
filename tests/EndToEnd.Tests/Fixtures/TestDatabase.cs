using Npgsql;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// Plain SQL against the PostgreSQL that ./test.sh started, for tests that arrange the store
/// as another writer or autovacuum would, or look at it directly. Parameters are <c>$1</c>,
/// <c>$2</c> ... in order; each statement takes a pooled connection of its own.
/// </summary>
public static class TestDatabase
{
    private static readonly Lazy<NpgsqlDataSource> Source = new(() => NpgsqlDataSource.Create(TestEnvironment.Postgres));

    /// <summary>Runs <paramref name="sql"/>; the rows it changed.</summary>
    public static async Task<int> ExecuteAsync(string sql, params object[] parameters)
    {
        await using var command = Command(sql, parameters);
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>The count that <paramref name="sql"/> (<c>select count(*) ...</c>) returns.</summary>
    public static async Task<long> CountAsync(string sql, params object[] parameters)
    {
        await using var command = Command(sql, parameters);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The first column of every row <paramref name="sql"/> returns, as text.</summary>
    public static async Task<IReadOnlyList<string>> StringsAsync(string sql, params object[] parameters)
    {
        await using var command = Command(sql, parameters);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
            values.Add(reader.IsDBNull(0) ? "" : reader.GetString(0));
        return values;
    }

    private static NpgsqlCommand Command(string sql, object[] parameters)
    {
        var command = Source.Value.CreateCommand(sql);
        foreach (var parameter in parameters)
            command.Parameters.AddWithValue(parameter);
        return command;
    }
}
