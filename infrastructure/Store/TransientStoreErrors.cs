using Npgsql;

namespace Pipeline.Infrastructure.Store;

/// <summary>Tells a store failure that may pass (the server restarting, a connection lost) from one that will not.</summary>
public static class TransientStoreErrors
{
    /// <summary>
    /// True when <paramref name="failure"/>, or an exception inside it (Marten wraps Npgsql's),
    /// is one Npgsql calls transient: a connection refused or broken, the server shutting down
    /// (SQLSTATE 57P01 to 57P03), a serialization failure, a deadlock.
    /// </summary>
    public static bool IsTransient(Exception failure)
    {
        for (var inner = failure; inner is not null; inner = inner.InnerException)
        {
            if (inner is NpgsqlException { IsTransient: true })
                return true;
        }

        return false;
    }
}
