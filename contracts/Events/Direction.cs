namespace Pipeline.Contracts.Events;

/// <summary>Which side of the pipeline a connection belongs to.</summary>
public enum Direction
{
    /// <summary>A client connected to ingress.</summary>
    Inbound,

    /// <summary>Delivery connected to a remote server.</summary>
    Outbound,
}
