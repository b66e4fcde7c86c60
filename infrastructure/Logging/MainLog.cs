using Microsoft.Extensions.Logging;

namespace Pipeline.Infrastructure.Logging;

/// <summary>
/// The Exim-style main log: one line per reception (<c>&lt;=</c>), delivery (<c>=&gt;</c>),
/// deferral (<c>==</c>), failure (<c>**</c>) and completion (<c>Completed</c>), with Exim's
/// field tags (<c>H=</c>, <c>P=</c>, <c>S=</c>, <c>R=</c>, <c>T=</c>, <c>C=</c>) so that
/// operators can grep it as they always have. Every field is also a structured property.
/// </summary>
public sealed class MainLog(ILoggerFactory factory)
{
    /// <summary>The log category of the main log.</summary>
    public const string Category = "mainlog";

    private readonly ILogger _log = factory.CreateLogger(Category);

    /// <summary>A message was accepted.</summary>
    public void Received(string messageId, string sender, string? helo, string hostAddress, int hostPort,
        string protocol, string? proxy, string? tls, long size, IEnumerable<string> recipients) =>
        _log.LogInformation("{MessageId} <= {Sender} H=({Helo}) [{HostAddress}]:{HostPort} P={Protocol}{Proxy}{Tls} S={Size} for {Recipients}",
            messageId, sender.Length == 0 ? "<>" : sender, helo, hostAddress, hostPort, protocol,
            proxy is null ? "" : $" PRX={proxy}", tls is null ? "" : $" X={tls}", size, string.Join(' ', recipients));

    /// <summary>A bounce (delivery status notification) was made for a message and queued.</summary>
    public void BounceQueued(string bounceId, string originalId, long size, string recipient) =>
        _log.LogInformation("{BounceId} <= <> R={OriginalId} U=pipeline P=local S={Size} for {Recipient}",
            bounceId, originalId, size, recipient);

    /// <summary>A recipient was delivered.</summary>
    public void Delivered(string messageId, string recipient, string router, string transport,
        string host, string hostAddress, int hostPort, string confirmation, string? proxy = null, string? tls = null, string? verified = null) =>
        _log.LogInformation("{MessageId} => {Recipient} R={Router} T={Transport} H={Host} [{HostAddress}]:{HostPort}{Proxy}{Tls} C=\"{Confirmation}\"",
            messageId, recipient, router, transport, host, hostAddress, hostPort, proxy is null ? "" : $" PRX={proxy}",
            tls is null ? "" : $" X={tls} CV={verified}", confirmation);

    /// <summary>A recipient was deferred.</summary>
    public void Deferred(string messageId, string recipient, string router, string transport,
        string? host, string? hostAddress, int hostPort, int errno, string error, string? proxy = null) =>
        _log.LogInformation("{MessageId} == {Recipient} R={Router} T={Transport} H={Host} [{HostAddress}]:{HostPort}{Proxy} defer ({Errno}): {Error}",
            messageId, recipient, router, transport, host, hostAddress, hostPort, proxy is null ? "" : $" PRX={proxy}", errno, error);

    /// <summary>A recipient failed permanently.</summary>
    public void Failed(string messageId, string recipient, string? router, string? transport, string error) =>
        _log.LogInformation("{MessageId} ** {Recipient} R={Router} T={Transport}: {Error}",
            messageId, recipient, router, transport, error);

    /// <summary>No recipient is left.</summary>
    public void Completed(string messageId) =>
        _log.LogInformation("{MessageId} Completed", messageId);
}
