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
            await ProtocolErrorAsync(_authenticatedId is null ? SmtpReplies.AuthNotOffered : SmtpReplies.AlreadyAuthenticated, ct).ConfigureAwait(false);
            return;
        }

        if (_transaction is not null)
        {
            await ProtocolErrorAsync(SmtpReplies.AuthInTransaction, ct).ConfigureAwait(false);
            return;
        }

        if (_authThrottle.Blocked(ClientAddress))
        {
            _log.LogWarning("AUTH refused on {ConnectionId} from [{Client}]: too many failed attempts", _journal.ConnectionId, ClientAddress);
            await ProtocolErrorAsync(SmtpReplies.AuthThrottled, ct).ConfigureAwait(false);
            return;
        }

        var (mechanism, initial) = SaslArgument.Parse(command.Argument);
        (string User, string Password)? login = mechanism switch
        {
            "PLAIN" => await PlainAsync(initial, ct).ConfigureAwait(false),
            "LOGIN" => await LoginAsync(initial, ct).ConfigureAwait(false),
            _ => null,
        };
        if (mechanism is not ("PLAIN" or "LOGIN"))
        {
            await ProtocolErrorAsync(SmtpReplies.UnknownMechanism, ct).ConfigureAwait(false);
            return;
        }

        if (login is null)
            return; // cancelled or malformed: already answered
        if (!_credentials.Verify(login.Value.User, login.Value.Password))
        {
            _authThrottle.Failed(ClientAddress);
            _log.LogWarning("AUTH {Mechanism} failed on {ConnectionId} from [{Client}] for {User}", mechanism, _journal.ConnectionId, ClientAddress, login.Value.User);
            await ProtocolErrorAsync(SmtpReplies.AuthFailed, ct).ConfigureAwait(false);
            return;
        }

        _authenticatedId = login.Value.User;
        await ReplyAsync(SmtpReplies.AuthSucceeded, ct).ConfigureAwait(false);
    }

    // RFC 4616: [authzid] NUL authcid NUL passwd, in one base64 response.
    private async Task<(string, string)?> PlainAsync(string? initial, CancellationToken ct)
    {
        var response = initial ?? await ChallengeAsync("", ct).ConfigureAwait(false);
        if (response is null || SaslArgument.Decode(response) is not { } decoded || SaslArgument.Plain(decoded) is not { } login)
            return await MalformedAsync(response, ct).ConfigureAwait(false);
        return login;
    }

    // The LOGIN mechanism: "Username:" and "Password:" challenges, one base64 answer each.
    private async Task<(string, string)?> LoginAsync(string? initial, CancellationToken ct)
    {
        var userResponse = initial ?? await ChallengeAsync("VXNlcm5hbWU6", ct).ConfigureAwait(false);
        if (userResponse is null || SaslArgument.Decode(userResponse) is not { Length: > 0 } user)
            return await MalformedAsync(userResponse, ct).ConfigureAwait(false);
        var passwordResponse = await ChallengeAsync("UGFzc3dvcmQ6", ct).ConfigureAwait(false);
        if (passwordResponse is null || SaslArgument.Decode(passwordResponse) is not { } password)
            return await MalformedAsync(passwordResponse, ct).ConfigureAwait(false);
        return (user, password);
    }

    // Sends a 334 challenge and reads the client's line; null when the client went away.
    private async Task<string?> ChallengeAsync(string challenge, CancellationToken ct)
    {
        await ReplyAsync(new SmtpReply(334, null, challenge), ct).ConfigureAwait(false);
        var (line, _, _) = await ReadCommandLineAsync(ct).ConfigureAwait(false);
        return line;
    }

    private async Task<(string, string)?> MalformedAsync(string? response, CancellationToken ct)
    {
        if (response is not null)
            await ProtocolErrorAsync(SaslArgument.IsCancel(response) ? SmtpReplies.AuthCancelled : SmtpReplies.InvalidBase64, ct).ConfigureAwait(false);
        return null;
    }
}
