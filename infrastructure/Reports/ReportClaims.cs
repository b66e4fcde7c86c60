using Marten;
using Npgsql;
using Pipeline.Infrastructure.Configuration;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Pipeline.Infrastructure.Reports;

/// <summary>
/// Table <c>report_claims</c>: one row per report queued (<see cref="ReportClaim"/>), its
/// primary key (kind, key, period_start) making a second claim of the same report fail, in
/// whichever process, so that a report goes out once however many processes make it.
/// </summary>
public sealed class ReportClaims(NpgsqlDataSource database, StoreSettings settings)
{
    /// <summary>The table's name.</summary>
    public const string Table = "report_claims";

    internal static void Configure(StoreOptions options, string schema)
    {
        var table = new Table(new PostgresqlObjectName(schema, Table, SchemaUtils.IdentifierUsage.General));
        table.AddColumn<string>("kind").AsPrimaryKey();
        table.AddColumn<string>("key").AsPrimaryKey();
        table.AddColumn("period_start", "timestamptz").AsPrimaryKey();
        table.AddColumn("period_end", "timestamptz").NotNull();
        table.AddColumn<string>("domain").NotNull();
        // Null when the claim was taken with nothing to send (no destination took the report).
        table.AddColumn<string>("message_id");
        table.AddColumn("claimed_at", "timestamptz").NotNull().DefaultValueByExpression("now()");
        table.Indexes.Add(new IndexDefinition($"ix_{Table}_domain") { Columns = ["kind", "domain", "claimed_at"] });
        options.Storage.ExtendedSchemaObjects.Add(table);
    }

    /// <summary>Queues the claim's insert into <paramref name="session"/>'s transaction; the commit fails when the report was claimed before.</summary>
    internal void Add(IDocumentSession session, ReportClaim claim, string? messageId) =>
        session.QueueSqlCommand(
            $"insert into {settings.Schema}.{Table} (kind, key, period_start, period_end, domain, message_id) values (?, ?, ?, ?, ?, ?)",
            claim.Kind, claim.Key, claim.PeriodStart.ToUniversalTime(), claim.PeriodEnd.ToUniversalTime(), claim.Domain, (object?)messageId ?? DBNull.Value);

    /// <summary>True when <paramref name="failure"/> is the unique violation of a claim taken before.</summary>
    internal static bool IsClaimedBefore(Exception failure)
    {
        for (Exception? inner = failure; inner is not null; inner = inner.InnerException)
        {
            if (inner is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, TableName: Table })
                return true;
        }

        return false;
    }

    /// <summary>True when the report of <paramref name="kind"/> about <paramref name="key"/> for the period starting at <paramref name="periodStart"/> was claimed.</summary>
    public async Task<bool> IsClaimedAsync(string kind, string key, DateTimeOffset periodStart, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"select 1 from {settings.Schema}.{Table} where kind = $1 and key = $2 and period_start = $3");
        command.Parameters.AddWithValue(kind);
        command.Parameters.AddWithValue(key);
        command.Parameters.AddWithValue(periodStart.ToUniversalTime());
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>How many reports of <paramref name="kind"/> about <paramref name="domain"/> were claimed since <paramref name="since"/>: for rate limits.</summary>
    public async Task<long> CountSinceAsync(string kind, string domain, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"select count(*) from {settings.Schema}.{Table} where kind = $1 and domain = $2 and claimed_at >= $3");
        command.Parameters.AddWithValue(kind);
        command.Parameters.AddWithValue(domain);
        command.Parameters.AddWithValue(since.ToUniversalTime());
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? 0L);
    }
}
