using System.Net;

namespace Pipeline.Infrastructure.Hosting;

/// <summary>
/// The addresses and ports on which this process's ingress takes SMTP (<c>Ingress:Listen</c>),
/// registered by the ingress role, so that delivery in the same process can tell a route or MX
/// host that is this MTA (a loop) from another server.
/// </summary>
/// <param name="EndPoints">The listening endpoints; <see cref="IPAddress.Any"/> or <see cref="IPAddress.IPv6Any"/> for every local address.</param>
public sealed record SmtpListeners(IReadOnlyList<IPEndPoint> EndPoints)
{
    /// <summary>Parses <c>Ingress:Listen</c>: endpoints separated by commas.</summary>
    /// <exception cref="FormatException">An endpoint is malformed.</exception>
    public static SmtpListeners Parse(string listen) =>
        new(listen.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Hosting.EndPoints.Parse).ToList());
}
