namespace Pipeline.Infrastructure.Configuration;

/// <summary>The <c>Bus</c> section: how the services talk.</summary>
public sealed class BusSettings
{
    /// <summary>The configuration section's name.</summary>
    public const string Section = "Bus";

    /// <summary>
    /// <c>InMemory</c> (every role in one process) or <c>RabbitMQ</c> (roles in any number of
    /// processes). Defaults to <c>InMemory</c>, the embedded run.
    /// </summary>
    public BusTransport Transport { get; set; } = BusTransport.InMemory;

    /// <summary>The broker, when <see cref="Transport"/> is <c>RabbitMQ</c>.</summary>
    public RabbitMqSettings RabbitMQ { get; set; } = new();
}

/// <summary>The bus transports.</summary>
public enum BusTransport
{
    /// <summary>MassTransit's in-memory transport: one process, nothing durable on the bus.</summary>
    InMemory,

    /// <summary>RabbitMQ.</summary>
    RabbitMQ,
}

/// <summary>The <c>Bus:RabbitMQ</c> section.</summary>
public sealed class RabbitMqSettings
{
    /// <summary>The broker's host. Defaults to <c>127.0.0.1</c>.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The AMQP port. Defaults to 5672, RabbitMQ's.</summary>
    public int Port { get; set; } = 5672;

    /// <summary>Defaults to <c>guest</c>, RabbitMQ's default user (loopback only).</summary>
    public string Username { get; set; } = "guest";

    /// <summary>Defaults to <c>guest</c>. Never logged.</summary>
    public string Password { get; set; } = "guest";

    /// <summary>Defaults to <c>/</c>.</summary>
    public string VirtualHost { get; set; } = "/";
}
