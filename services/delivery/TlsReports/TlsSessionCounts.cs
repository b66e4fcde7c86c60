using System.Text.Json;
using Npgsql;
using Pipeline.Contracts;
using Pipeline.Contracts.Events;
using Pipeline.Infrastructure.Configuration;

namespace Pipeline.Delivery.TlsReports;

/// <summary>
/// Counts a period's TLS sessions from the event store, as TLS reports (RFC 8460) count them,
/// in PostgreSQL so that a day of deliveries never comes into memory. A successful session is
/// a distinct connection that delivered to a policy domain over TLS (<c>msg:delivery</c> with
/// <c>TlsPolicyType</c>); a failed one is an event that carries <c>TlsResultType</c>
/// (<c>tls:fail:connect</c>, <c>dane:fail</c>, <c>sts:fail</c>), which the delivery code
/// records exactly once per failed session, counted for each of its policy domains.
/// </summary>
public sealed class TlsSessionCounts(NpgsqlDataSource database, StoreSettings settings)
{
    private static readonly string Delivered = LifecycleEvents.NameOf(typeof(RecipientDelivered));

    private static readonly string[] Failures =
        [LifecycleEvents.NameOf(typeof(TlsConnectFailed)), LifecycleEvents.NameOf(typeof(DaneFailed)), LifecycleEvents.NameOf(typeof(StsFailed))];

    /// <summary>The counts of the sessions recorded from <paramref name="begin"/> (inclusive) to <paramref name="end"/> (exclusive).</summary>
    public async Task<IReadOnlyList<TlsSessionCount>> ReadAsync(DateTimeOffset begin, DateTimeOffset end, CancellationToken cancellationToken)
    {
        var counts = new List<TlsSessionCount>();
        await using (var successes = database.CreateCommand(
            $"select data->>'TlsPolicyDomain', data->>'TlsPolicyType', data->'TlsPolicyStrings', count(distinct data->>'ConnectionId') " +
            $"from {settings.Schema}.mt_events where type = $1 and timestamp >= $2 and timestamp < $3 " +
            "and data->>'TlsPolicyType' is not null and data->>'TlsPolicyDomain' is not null group by 1, 2, 3"))
        {
            successes.Parameters.AddWithValue(Delivered);
            successes.Parameters.AddWithValue(begin.ToUniversalTime());
            successes.Parameters.AddWithValue(end.ToUniversalTime());
            await using var reader = await successes.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                counts.Add(new TlsSessionCount(reader.GetString(0), reader.GetString(1), Strings(reader, 2), null, null, null, null, reader.GetInt64(3)));
        }

        await using (var failures = database.CreateCommand(
            "select domain, data->>'TlsPolicyType', data->'TlsPolicyStrings', data->>'TlsResultType', " +
            "data->>'SendingIpAddress', data->>'Host', data->>'HostAddress', count(*) " +
            $"from {settings.Schema}.mt_events cross join lateral jsonb_array_elements_text(coalesce(data->'TlsPolicyDomains', '[]'::jsonb)) as domains(domain) " +
            "where type = any($1) and timestamp >= $2 and timestamp < $3 and data->>'TlsResultType' is not null " +
            "and jsonb_typeof(data->'TlsPolicyDomains') = 'array' group by 1, 2, 3, 4, 5, 6, 7"))
        {
            failures.Parameters.AddWithValue(Failures);
            failures.Parameters.AddWithValue(begin.ToUniversalTime());
            failures.Parameters.AddWithValue(end.ToUniversalTime());
            await using var reader = await failures.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                counts.Add(new TlsSessionCount(reader.GetString(0), reader.IsDBNull(1) ? Tls.TlsRptNames.NoPolicyFound : reader.GetString(1),
                    Strings(reader, 2), reader.GetString(3), Text(reader, 4), Text(reader, 5), Text(reader, 6), reader.GetInt64(7)));
        }

        return counts;
    }

    private static string? Text(NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);

    // The policy's strings: a JSON array, or null for none.
    private static List<string> Strings(NpgsqlDataReader reader, int column)
    {
        if (reader.IsDBNull(column))
            return [];
        using var json = JsonDocument.Parse(reader.GetString(column));
        return json.RootElement.ValueKind == JsonValueKind.Array
            ? json.RootElement.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
            : [];
    }
}
