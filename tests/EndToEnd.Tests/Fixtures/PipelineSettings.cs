namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>The configuration of one test's pipeline: its own schema, ports and routes.</summary>
public sealed class PipelineSettings
{
    public string Schema { get; } = $"t_{Guid.NewGuid():N}"[..20];

    public int SmtpPort { get; } = FreePort.Next();

    public int HttpPort { get; } = FreePort.Next();

    /// <summary>The settings for a process running <paramref name="roles"/> (all when null).</summary>
    public Dictionary<string, string> For(string? roles = null, IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = WithoutStore(roles, extra);
        settings["Store:ConnectionString"] = TestEnvironment.Postgres;
        settings["Store:Schema"] = Schema;
        return settings;
    }

    /// <summary>The settings without a store, for ./run.sh to start its own.</summary>
    public Dictionary<string, string> WithoutStore(string? roles = null, IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Ingress:Listen"] = $"127.0.0.1:{SmtpPort}",
            ["Ingress:PrimaryHostname"] = "pipeline.test",
            ["Events:Listen"] = $"http://127.0.0.1:{HttpPort}",
            ["Delivery:HeloData"] = "pipeline.test",
            ["Delivery:QueuePollInterval"] = "00:00:00.200",
            ["Delivery:ConnectTimeout"] = "00:00:05",
            ["Delivery:CommandTimeout"] = "00:00:10",
            ["Delivery:FinalTimeout"] = "00:00:10",
            ["Delivery:ClaimLease"] = "00:01:00",
            // SPF, DKIM and DMARC for every message need DNS, which only the tests that start a server have.
            ["Policy:AuthenticationResults"] = "false",
        };
        if (roles is not null)
            settings["Roles"] = roles;
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            settings[key] = value;
        return settings;
    }

    /// <summary>A route sending <paramref name="domain"/> to 127.0.0.1:<paramref name="port"/>, then to the <paramref name="more"/> ports in turn.</summary>
    public static Dictionary<string, string> Route(string domain, int port, params int[] more)
    {
        var route = new Dictionary<string, string> { ["Delivery:Routes:0:Domains:0"] = domain };
        foreach (var (host, index) in more.Prepend(port).Select((p, i) => (p, i)))
            route[$"Delivery:Routes:0:Hosts:{index}"] = $"127.0.0.1:{host}";
        return route;
    }

    /// <summary>The bus on the RabbitMQ server that ./test.sh started.</summary>
    public static Dictionary<string, string> RabbitMq() => new()
    {
        ["Bus:Transport"] = "RabbitMQ",
        ["Bus:RabbitMQ:Host"] = TestEnvironment.RabbitMqHost,
        ["Bus:RabbitMQ:Port"] = TestEnvironment.RabbitMqPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
