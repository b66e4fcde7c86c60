using System.Globalization;
using System.Net.Security;
using System.IO.Pipelines;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts.Events;
using Pipeline.Ingress.Protocol;
using Pipeline.Ingress.Tls;

namespace Pipeline.Ingress.Smtp;

// STARTTLS (RFC 3207).
public sealed partial class SmtpSession
{
    private sealed record TlsState(string Version, string Cipher, string? ServerName);

    private bool TlsOffered => _tls is null && _certificates.IsConfigured && _lists.TlsAdvertiseHosts.Contains(_client.Address);

    private async Task StartTlsAsync(SmtpCommand command, CancellationToken ct)
    {
        if (!TlsOffered || !_extended)
        {
            await ProtocolErrorAsync(_tls is null ? SmtpReplies.StartTlsNotOffered : SmtpReplies.AlreadyTls, ct).ConfigureAwait(false);
            return;
        }

        if (command.Argument.Length > 0)
        {
            await ProtocolErrorAsync(SmtpReplies.NoParametersAllowed, ct).ConfigureAwait(false);
            return;
        }

        // Whatever the client sent after STARTTLS in the clear is thrown away, never read as a
        // command under TLS (the CVE-2011-0411 command injection).
        if (Input.TryRead(out var early))
            Input.AdvanceTo(early.Buffer.End);
        await ReplyAsync(SmtpReplies.TlsGoAhead, ct).ConfigureAwait(false);

        var ssl = new SslStream(new DuplexPipeStream(_input, _output), leaveInnerStreamOpen: true);
        string? serverName = null;
        var peer = new ClientCertificate();
        var ask = _lists.TlsTryVerifyHosts.Contains(_client.Address);
        var require = _lists.TlsVerifyHosts.Contains(_client.Address);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.SmtpReceiveTimeout);
            await ssl.AuthenticateAsServerAsync((_, hello, _, _) =>
            {
                serverName = hello.ServerName;
                return ValueTask.FromResult(_certificates.OptionsFor(hello.ServerName, ask, require, peer));
            }, null, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            _log.LogWarning("TLS negotiation with [{Client}] failed on {ConnectionId}: {Error}", ClientAddress, _journal.ConnectionId, e.Message);
            await ssl.DisposeAsync().ConfigureAwait(false);
            _closing = true;
            _closeReason = "TLS negotiation failed";
            return;
        }

        _ssl = ssl;
        _input = PipeReader.Create(ssl);
        _output = PipeWriter.Create(ssl);
        _tls = new TlsState(Version(ssl.SslProtocol), ssl.NegotiatedCipherSuite.ToString(), string.IsNullOrEmpty(serverName) ? null : serverName);

        // tls:cert, once per certificate the client sent, with its depth as Exim gives it.
        for (var depth = 0; depth < peer.Chain.Count; depth++)
        {
            var certificate = peer.Chain[depth];
            _journal.Add(new TlsCertificateSeen(_journal.ConnectionId, Direction.Inbound, depth.ToString(CultureInfo.InvariantCulture),
                certificate.Subject, certificate.Issuer, certificate.ExportCertificatePem(), ClientAddress));
        }

        // RFC 3207 §4.2: the session starts over; nothing learned in the clear is kept.
        _helo = null;
        _extended = false;
        _transaction = null;
        _authenticatedId = null;
    }

    private static string Version(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        _ => protocol.ToString(),
    };
}
