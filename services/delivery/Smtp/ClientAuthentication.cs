using System.Text;
using Pipeline.Delivery.Protocol;
using Pipeline.Delivery.Retry;

namespace Pipeline.Delivery.Smtp;

/// <summary>
/// SMTP AUTH as a client (RFC 4954) with the PLAIN (RFC 4616) and LOGIN mechanisms, PLAIN
/// preferred when the server offers both. Credentials go only over TLS: on a connection in the
/// clear they are not sent at all. A refusal (535 and the like) is no reason to give the message
/// up: as in Exim, the host is deferred (retry error <c>auth_failed</c>).
/// SECURITY: the password, and the base64 lines that carry it, never appear in an error text.
/// </summary>
internal static class ClientAuthentication
{
    /// <summary>The mechanisms the pipeline speaks, in order of preference.</summary>
    private static readonly string[] Mechanisms = ["PLAIN", "LOGIN"];

    /// <summary>What AUTH ended with: null when the server accepted the credentials, else why not and the retry error's type.</summary>
    public sealed record Outcome(string Error, RetryError Type);

    /// <summary>The mechanisms the server's EHLO reply offers (<c>AUTH PLAIN LOGIN</c>, or the old <c>AUTH=PLAIN</c>), upper case.</summary>
    public static IReadOnlySet<string> Offered(SmtpReply? hello)
    {
        var offered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in hello?.Lines.Skip(1) ?? [])
        {
            if (line.Length > 4 && line.StartsWith("AUTH", StringComparison.OrdinalIgnoreCase) && line[4] is ' ' or '=')
            {
                foreach (var mechanism in line[5..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    offered.Add(mechanism.ToUpperInvariant());
            }
        }

        return offered;
    }

    /// <summary>The PLAIN mechanism's initial response (RFC 4616 §2): no authorization identity, the user, the password.</summary>
    public static string PlainResponse(SmtpCredentials credentials) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{credentials.User}\0{credentials.Password}"));

    /// <summary>Authenticates on <paramref name="connection"/>, whose session is open; null when the server accepted.</summary>
    public static async Task<Outcome?> AuthenticateAsync(SmtpClientConnection connection, SmtpCredentials credentials, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        if (connection.Tls is null)
            return new Outcome(
                $"the route has credentials for {connection.HostName}, but the connection is not under TLS: they are not sent in the clear",
                new RetryError(RetryErrorKind.TlsRequired));
        var offered = Offered(connection.Hello);
        if (Mechanisms.FirstOrDefault(offered.Contains) is not { } mechanism)
            return new Outcome(
                offered.Count == 0
                    ? $"the route has credentials, but {connection.HostName} does not offer AUTH"
                    : $"the route has credentials, but {connection.HostName} offers none of PLAIN and LOGIN (it offers {string.Join(' ', offered.Order(StringComparer.Ordinal))})",
                new RetryError(RetryErrorKind.AuthFailed));

        SmtpReply reply;
        if (mechanism == "PLAIN")
        {
            reply = await connection.CommandAsync($"AUTH PLAIN {PlainResponse(credentials)}", timeout, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // LOGIN: the server asks for the user name, then for the password (each 334 and a base64 prompt).
            reply = await connection.CommandAsync("AUTH LOGIN", timeout, cancellationToken).ConfigureAwait(false);
            if (reply.Code == 334)
                reply = await connection.CommandAsync(Base64(credentials.User), timeout, cancellationToken).ConfigureAwait(false);
            if (reply.Code == 334)
                reply = await connection.CommandAsync(Base64(credentials.Password), timeout, cancellationToken).ConfigureAwait(false);
        }

        if (reply.Code == 334)
        {
            // The server asks for more than the mechanism has to say: cancel the exchange (RFC 4954 §4).
            reply = await connection.CommandAsync("*", timeout, cancellationToken).ConfigureAwait(false);
        }

        return reply.Code == 235
            ? null
            : new Outcome($"SMTP error from remote mail server after AUTH {mechanism} as {credentials.User}: {reply}",
                new RetryError(RetryErrorKind.AuthFailed, reply.Code));
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
