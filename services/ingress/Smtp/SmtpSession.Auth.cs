using System.Text;
using Microsoft.Extensions.Logging;
using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Smtp;

// AUTH PLAIN and LOGIN (RFC 4954, RFC 4616), offered only under TLS: a password never
// crosses the network in the clear.
public sealed partial class SmtpSession
{
    private string? _authenticatedId;

    private bool AuthOffered => _tls is not null && _credentials.Any && _authenticatedId is null;

    private async Task AuthAsync(SmtpCommand command, CancellationToken ct)
    {
        if (!AuthOffered || !_extended)
        {
            await ProtocolErrorAsync(_authenticatedId is null ? "503 5.5.1 AUTH command used when not advertised" : "503 5.5.1 already authenticated", ct).ConfigureAwait(false);
            return;
        }

        if (_transaction is not null)
        {
            await ProtocolErrorAsync("503 5.5.1 AUTH not allowed during a mail transaction", ct).ConfigureAwait(false);
            return;
        }

        if (_authThrottle.Blocked(ClientAddress))
        {
            _log.LogWarning("AUTH refused on {ConnectionId} from [{Client}]: too many failed attempts", _journal.ConnectionId, ClientAddress);
            await ProtocolErrorAsync(SmtpReplies.AuthThrottled, ct).ConfigureAwait(false);
            return;
        }

        var words = command.Argument.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        var mechanism = words.Length > 0 ? words[0].ToUpperInvariant() : "";
        var initial = words.Length > 1 ? words[1] : null;
        (string User, string Password)? login = mechanism switch
        {
            "PLAIN" => await PlainAsync(initial, ct).ConfigureAwait(false),
            "LOGIN" => await LoginAsync(initial, ct).ConfigureAwait(false),
            _ => null,
        };
        if (mechanism is not ("PLAIN" or "LOGIN"))
        {
            await ProtocolErrorAsync("504 5.5.4 Unrecognized authentication type", ct).ConfigureAwait(false);
            return;
        }

        if (login is null)
            return; // cancelled or malformed: already answered
        if (!_credentials.Verify(login.Value.User, login.Value.Password))
        {
            _authThrottle.Failed(ClientAddress);
            _log.LogWarning("AUTH {Mechanism} failed on {ConnectionId} from [{Client}] for {User}", mechanism, _journal.ConnectionId, ClientAddress, login.Value.User);
            await ProtocolErrorAsync("535 5.7.8 Incorrect authentication data", ct).ConfigureAwait(false);
            return;
        }

        _authenticatedId = login.Value.User;
        await ReplyAsync("235 2.7.0 Authentication succeeded", ct).ConfigureAwait(false);
    }

    // RFC 4616: [authzid] NUL authcid NUL passwd, in one base64 response.
    private async Task<(string, string)?> PlainAsync(string? initial, CancellationToken ct)
    {
        var response = initial == "=" ? "" : initial ?? await ChallengeAsync("", ct).ConfigureAwait(false);
        if (response is null || Base64(response) is not { } decoded)
            return await MalformedAsync(response, ct).ConfigureAwait(false);
        var parts = decoded.Split('\0');
        if (parts.Length != 3 || parts[1].Length == 0 || (parts[0].Length > 0 && parts[0] != parts[1]))
            return await MalformedAsync(response, ct).ConfigureAwait(false);
        return (parts[1], parts[2]);
    }

    // The LOGIN mechanism: "Username:" and "Password:" challenges, one base64 answer each.
    private async Task<(string, string)?> LoginAsync(string? initial, CancellationToken ct)
    {
        var userResponse = initial ?? await ChallengeAsync("VXNlcm5hbWU6", ct).ConfigureAwait(false);
        if (userResponse is null || Base64(userResponse) is not { Length: > 0 } user)
            return await MalformedAsync(userResponse, ct).ConfigureAwait(false);
        var passwordResponse = await ChallengeAsync("UGFzc3dvcmQ6", ct).ConfigureAwait(false);
        if (passwordResponse is null || Base64(passwordResponse) is not { } password)
            return await MalformedAsync(passwordResponse, ct).ConfigureAwait(false);
        return (user, password);
    }

    // Sends a 334 challenge and reads the client's line; null when the client went away.
    private async Task<string?> ChallengeAsync(string challenge, CancellationToken ct)
    {
        await ReplyAsync($"334 {challenge}", ct).ConfigureAwait(false);
        var (line, _, _) = await ReadCommandLineAsync(ct).ConfigureAwait(false);
        return line;
    }

    private async Task<(string, string)?> MalformedAsync(string? response, CancellationToken ct)
    {
        if (response is not null)
            await ProtocolErrorAsync(response == "*" ? "501 5.7.0 Authentication cancelled" : "501 5.5.2 Invalid base64 data", ct).ConfigureAwait(false);
        return null;
    }

    private static string? Base64(string text)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(text));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
