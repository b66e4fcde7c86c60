namespace Pipeline.Infrastructure.Configuration;

/// <summary>The <c>Store</c> section: the PostgreSQL event store.</summary>
public sealed class StoreSettings
{
    /// <summary>The configuration section's name.</summary>
    public const string Section = "Store";

    /// <summary>
    /// An Npgsql connection string. Required; <c>./run.sh</c> starts a private PostgreSQL
    /// under <c>.data/</c> and sets it when it is empty. Never logged.
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The PostgreSQL schema holding every table of the pipeline. Defaults to <c>pipeline</c>.</summary>
    public string Schema { get; set; } = "pipeline";
}
