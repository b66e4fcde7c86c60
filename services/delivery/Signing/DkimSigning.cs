using MimeKit;
using MimeKit.Cryptography;

namespace Pipeline.Delivery.Signing;

/// <summary>
/// Signs outgoing mail with DKIM (RFC 6376) when <c>Delivery:DkimDomain</c>,
/// <c>DkimSelector</c> and <c>DkimPrivateKey</c> are set (Exim's <c>dkim_domain</c>,
/// <c>dkim_selector</c>, <c>dkim_private_key</c>). MimeKit computes the signature; only the
/// DKIM-Signature header is added, in front of the stored bytes, which go out unchanged.
/// </summary>
public sealed class DkimSigning
{
    private readonly DkimSigner? _signer;
    private readonly string[] _headers;

    /// <summary>Reads the key that <paramref name="options"/> names, when signing is configured.</summary>
    /// <exception cref="InvalidOperationException">The key cannot be read, or the canonicalization or algorithm is unknown.</exception>
    public DkimSigning(DeliveryOptions options)
    {
        _headers = [.. options.DkimSignHeaders];
        if (string.IsNullOrEmpty(options.DkimDomain) || string.IsNullOrEmpty(options.DkimSelector) || string.IsNullOrEmpty(options.DkimPrivateKey))
            return;

        var algorithm = options.DkimAlgorithm.ToLowerInvariant() switch
        {
            "rsa-sha256" => DkimSignatureAlgorithm.RsaSha256,
            "ed25519-sha256" => DkimSignatureAlgorithm.Ed25519Sha256,
            _ => throw new InvalidOperationException($"Delivery:DkimAlgorithm '{options.DkimAlgorithm}': rsa-sha256 or ed25519-sha256"),
        };
        var canonicalization = options.DkimCanonicalization.ToLowerInvariant().Split('/');
        try
        {
            _signer = new DkimSigner(options.DkimPrivateKey, options.DkimDomain, options.DkimSelector, algorithm)
            {
                HeaderCanonicalizationAlgorithm = Canonicalization(canonicalization[0]),
                BodyCanonicalizationAlgorithm = Canonicalization(canonicalization.Length > 1 ? canonicalization[1] : "simple"),
            };
        }
        catch (Exception e) when (e is IOException or FormatException or ArgumentException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"Delivery:DkimPrivateKey {options.DkimPrivateKey}: {e.Message}", e);
        }
    }

    /// <summary>True when messages are signed.</summary>
    public bool Enabled => _signer is not null;

    private static DkimCanonicalizationAlgorithm Canonicalization(string name) => name switch
    {
        "relaxed" => DkimCanonicalizationAlgorithm.Relaxed,
        "simple" => DkimCanonicalizationAlgorithm.Simple,
        _ => throw new InvalidOperationException($"Delivery:DkimCanonicalization '{name}': relaxed or simple, as header/body"),
    };

    /// <summary><paramref name="content"/> with a DKIM-Signature header in front, or as it is when signing is off.</summary>
    public byte[] Sign(byte[] content)
    {
        if (_signer is null)
            return content;
        var message = MimeMessage.Load(new MemoryStream(content, writable: false));
        _signer.Sign(message, _headers.Where(h => message.Headers.Contains(h) || h.Equals("From", StringComparison.OrdinalIgnoreCase)).ToArray());
        var signature = message.Headers.First(h => h.Id == HeaderId.DkimSignature);
        // The folded value as MimeKit wrote it, with CRLF line ends as on the wire.
        var value = System.Text.Encoding.ASCII.GetString(signature.RawValue).Replace("\r\n", "\n", StringComparison.Ordinal)
            .TrimEnd('\n').Replace("\n", "\r\n", StringComparison.Ordinal);
        var line = System.Text.Encoding.ASCII.GetBytes($"{signature.Field}:{value}\r\n");
        var signed = new byte[line.Length + content.Length];
        line.CopyTo(signed, 0);
        content.CopyTo(signed, line.Length);
        return signed;
    }
}
