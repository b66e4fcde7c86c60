using Marten;

namespace Pipeline.Infrastructure.Store;

/// <summary>
/// A service's part of the store's schema: its tables and inline projections. Every process
/// registers every service's part, whatever roles it runs, so that any writer keeps every
/// inline projection true.
/// </summary>
public interface IStoreSchema
{
    /// <summary>Adds the service's tables and projections to the store.</summary>
    void Configure(StoreOptions options, string schema);
}
