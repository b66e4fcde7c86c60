using Npgsql;

namespace Pipeline.Infrastructure.Store;

/// <summary>Names store failures by what the caller does about them, wherever Marten wrapped Npgsql's exception.</summary>
public static class StoreErrors
{
    /// <summary>
    /// True when <paramref name="failure"/>, or an exception inside it, is one Npgsql calls
    /// transient: a connection refused or broken, the server shutting down (SQLSTATE 57P01 to
    /// 57P03), a serialization failure, a deadlock.
    /// </summary>
    public static bool IsTransient(Exception failure) => Any(failure, e => e is NpgsqlException { IsTransient: true });

    /// <summary>True when PostgreSQL ran out of disk (SQLSTATE 53100, <c>disk_full</c>).</summary>
    public static bool IsDiskFull(Exception failure) =>
        Any(failure, e => e is PostgresException { SqlState: PostgresErrorCodes.DiskFull });

    private static bool Any(Exception failure, Func<Exception, bool> test)
    {
        for (Exception? inner = failure; inner is not null; inner = inner.InnerException)
        {
            if (test(inner))
                return true;
        }

        return false;
    }
}
