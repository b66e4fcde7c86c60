using System.Net.Sockets;
using Npgsql;
using Pipeline.Infrastructure.Store;

namespace Pipeline.Infrastructure.Tests.Store;

public class StoreErrorsTests
{
    [Theory]
    [InlineData(PostgresErrorCodes.AdminShutdown)]        // 57P01: the server restarting
    [InlineData(PostgresErrorCodes.CannotConnectNow)]     // 57P03: still starting
    [InlineData(PostgresErrorCodes.SerializationFailure)]
    public void a_server_going_away_is_transient_however_deep_it_is_wrapped(string sqlState)
    {
        var failure = new PostgresException("terminating connection", "FATAL", "FATAL", sqlState);

        Assert.True(StoreErrors.IsTransient(failure));
        Assert.True(StoreErrors.IsTransient(new InvalidOperationException("Marten's wrapper", new InvalidOperationException("another", failure))));
    }

    [Fact]
    public void a_refused_connection_is_transient() =>
        Assert.True(StoreErrors.IsTransient(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))));

    [Theory]
    [InlineData(PostgresErrorCodes.UniqueViolation)]
    [InlineData(PostgresErrorCodes.UndefinedTable)]
    public void an_error_in_the_statement_is_not(string sqlState) =>
        Assert.False(StoreErrors.IsTransient(new PostgresException("no", "ERROR", "ERROR", sqlState)));

    [Fact]
    public void a_version_conflict_is_not() =>
        Assert.False(StoreErrors.IsTransient(new InvalidOperationException("unexpected stream version")));

    [Fact]
    public void a_full_disk_is_named_wherever_it_is_wrapped_and_nothing_else_is()
    {
        var full = new PostgresException("could not extend file", "ERROR", "ERROR", PostgresErrorCodes.DiskFull);

        Assert.True(StoreErrors.IsDiskFull(new InvalidOperationException("Marten's wrapper", full)));
        Assert.False(StoreErrors.IsDiskFull(new PostgresException("no", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation)));
        Assert.False(StoreErrors.IsDiskFull(new InvalidOperationException("unexpected stream version")));
    }
}
