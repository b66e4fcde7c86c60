namespace Pipeline.Infrastructure.Configuration;

/// <summary>The <c>Dns</c> section: the resolvers every service asks.</summary>
public sealed class DnsSettings
{
    /// <summary>The configuration section's name.</summary>
    public const string Section = "Dns";

    /// <summary>
    /// Resolvers as <c>address</c> or <c>address:port</c> (<c>[v6]:port</c>), tried in order.
    /// Empty means the system's resolvers (<c>/etc/resolv.conf</c>).
    /// </summary>
    public List<string> Servers { get; set; } = [];

    /// <summary>How long one query may take. Defaults to 5 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many times a query is retried. Defaults to 2.</summary>
    public int Retries { get; set; } = 2;
}
