using System.Net;

namespace Pipeline.Ingress.Proxy;

/// <summary>A parsed PROXY protocol header (haproxy's proxy-protocol.txt, versions 1 and 2).</summary>
/// <param name="Version">1 (text) or 2 (binary).</param>
/// <param name="IsLocal">
/// True when the connection's real endpoints are to be used: a v2 LOCAL command (health
/// checks), an UNSPEC or UNIX family, an UNSPEC transport, or v1 UNKNOWN. The block of a LOCAL
/// command or of an UNSPEC family or transport is skipped unread: no addresses, no TLVs.
/// </param>
/// <param name="Source">The client, as the proxy saw it; null when <see cref="IsLocal"/>.</param>
/// <param name="Destination">The address the client reached on the proxy; null when <see cref="IsLocal"/>.</param>
/// <param name="Family"><c>INET</c>, <c>INET6</c>, <c>UNIX</c> or <c>UNSPEC</c> (v1: TCP4, TCP6, UNKNOWN map to these).</param>
/// <param name="Transport"><c>STREAM</c>, <c>DGRAM</c> or <c>UNSPEC</c>.</param>
/// <param name="UnixSource">For UNIX: the source path.</param>
/// <param name="UnixDestination">For UNIX: the destination path.</param>
/// <param name="Tlvs">The v2 TLVs, in order.</param>
/// <param name="Length">The header's length in bytes.</param>
public sealed record ProxyHeader(
    int Version,
    bool IsLocal,
    IPEndPoint? Source,
    IPEndPoint? Destination,
    string Family,
    string Transport,
    string? UnixSource,
    string? UnixDestination,
    IReadOnlyList<ProxyTlv> Tlvs,
    int Length)
{
    /// <summary>PP2_TYPE_ALPN, as text.</summary>
    public string? Alpn => Text(ProxyTlv.Alpn);

    /// <summary>PP2_TYPE_AUTHORITY: the host name the client asked for (SNI), as text.</summary>
    public string? Authority => Text(ProxyTlv.Authority);

    /// <summary>PP2_TYPE_UNIQUE_ID, hex encoded.</summary>
    public string? UniqueId => Tlvs.FirstOrDefault(t => t.Type == ProxyTlv.UniqueId) is { } t ? Convert.ToHexStringLower(t.Value) : null;

    /// <summary>PP2_TYPE_SSL, when the client spoke TLS to the proxy.</summary>
    public ProxySsl? Ssl { get; init; }

    private string? Text(byte type) =>
        Tlvs.FirstOrDefault(t => t.Type == type) is { } tlv ? System.Text.Encoding.UTF8.GetString(tlv.Value) : null;
}

/// <summary>One v2 TLV.</summary>
/// <param name="Type">The type byte.</param>
/// <param name="Value">The value.</param>
public sealed record ProxyTlv(byte Type, byte[] Value)
{
    public const byte Alpn = 0x01;
    public const byte Authority = 0x02;
    public const byte Crc32C = 0x03;
    public const byte Noop = 0x04;
    public const byte UniqueId = 0x05;
    public const byte Ssl = 0x20;
    public const byte SslVersion = 0x21;
    public const byte SslCommonName = 0x22;
    public const byte SslCipher = 0x23;
    public const byte SslSignatureAlgorithm = 0x24;
    public const byte SslKeyAlgorithm = 0x25;
    public const byte Netns = 0x30;
}

/// <summary>The PP2_TYPE_SSL TLV: how the client's TLS session with the proxy went.</summary>
/// <param name="Client">The client bit field: 0x01 SSL, 0x02 certificate on this connection, 0x04 certificate in the session.</param>
/// <param name="Verify">0 when the client's certificate was verified.</param>
/// <param name="Version">PP2_SUBTYPE_SSL_VERSION, e.g. <c>TLSv1.3</c>.</param>
/// <param name="CommonName">PP2_SUBTYPE_SSL_CN of the client certificate.</param>
/// <param name="Cipher">PP2_SUBTYPE_SSL_CIPHER.</param>
public sealed record ProxySsl(byte Client, uint Verify, string? Version, string? CommonName, string? Cipher);

/// <summary>Why a header was refused (the categories of the conformance vectors).</summary>
public enum ProxyError
{
    None,
    NotProxyProtocol,
    BadVersion,
    BadCommand,
    BadFamily,
    BadTransport,
    LengthTooSmall,
    BadTlv,
    CrcMismatch,
    BadLineEnding,
    LineTooLong,
    Syntax,
    BadProtocol,
    BadAddress,
    BadPort,
}
