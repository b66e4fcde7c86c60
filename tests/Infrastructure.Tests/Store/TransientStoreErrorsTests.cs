using System.Net.Sockets;
using Npgsql;
using Pipeline.Infrastructure.Store;

namespace Pipeline.Infrastructure.Tests.Store;

public class TransientStoreErrorsTests
{
    [Theory]
    [InlineData(PostgresErrorCodes.AdminShutdown)]        // 57P01: the server restarting
    [InlineData(PostgresErrorCodes.CannotConnectNow)]     // 57P03: still starting
    [InlineData(PostgresErrorCodes.SerializationFailure)]
    public void a_server_going_away_is_transient_however_deep_it_is_wrapped(string sqlState)
    {
        var failure = new PostgresException("terminating connection", "FATAL", "FATAL", sqlState);

        Assert.True(TransientStoreErrors.IsTransient(failure));
        Assert.True(TransientStoreErrors.IsTransient(new InvalidOperationException("Marten's wrapper", new InvalidOperationException("another", failure))));
    }

    [Fact]
    public void a_refused_connection_is_transient() =>
        Assert.True(TransientStoreErrors.IsTransient(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))));

    [Theory]
    [InlineData(PostgresErrorCodes.UniqueViolation)]
    [InlineData(PostgresErrorCodes.UndefinedTable)]
    public void an_error_in_the_statement_is_not(string sqlState) =>
        Assert.False(TransientStoreErrors.IsTransient(new PostgresException("no", "ERROR", "ERROR", sqlState)));

    [Fact]
    public void a_version_conflict_is_not() =>
        Assert.False(TransientStoreErrors.IsTransient(new InvalidOperationException("unexpected stream version")));
}
