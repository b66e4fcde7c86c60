using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Numerics;
using System.Text;

namespace Pipeline.Ingress.Proxy;

/// <summary>
/// Parses the PROXY protocol header that a trusted proxy sends before anything else on a
/// connection (haproxy's doc/proxy-protocol.txt: §2.1 version 1, §2.2 version 2 with its TLVs
/// §2.2.1 to §2.2.8). Pure: no I/O. Exposure: the bytes come from the network, but only from
/// hosts in <c>Ingress:HostsProxy</c>; lengths are bounded (v1: 107 bytes; v2: 16 + 65535).
/// </summary>
public static class ProxyHeaderParser
{
    /// <summary>The longest v1 line, CRLF included (§2.1).</summary>
    public const int V1MaxLength = 107;

    private static ReadOnlySpan<byte> V2Signature => "\r\n\r\n\0\r\nQUIT\n"u8;

    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    /// <summary>
    /// Parses a header at the start of <paramref name="input"/>. Returns false when more bytes
    /// are needed (nothing is decided yet); true with either <paramref name="header"/> or
    /// <paramref name="error"/> set. The header's bytes are <see cref="ProxyHeader.Length"/>;
    /// what follows belongs to SMTP.
    /// </summary>
    public static bool TryParse(ReadOnlySequence<byte> input, out ProxyHeader? header, out ProxyError error)
    {
        header = null;
        error = ProxyError.None;
        var available = (int)Math.Min(input.Length, 16 + 65535);
        var bytes = available <= 1024 ? stackalloc byte[available] : new byte[available];
        input.Slice(0, available).CopyTo(bytes);

        var v2Prefix = Math.Min(bytes.Length, V2Signature.Length);
        if (bytes[..v2Prefix].SequenceEqual(V2Signature[..v2Prefix]) && v2Prefix > 0)
            return bytes.Length >= 16 && ParseV2(bytes, out header, out error);
        var v1Prefix = Math.Min(bytes.Length, V1Prefix.Length);
        if (bytes[..v1Prefix].SequenceEqual(V1Prefix[..v1Prefix]) && v1Prefix > 0)
            return ParseV1(bytes, out header, out error);
        if (bytes.Length == 0)
            return false;
        error = ProxyError.NotProxyProtocol;
        return true;
    }

    private static bool ParseV2(ReadOnlySpan<byte> bytes, out ProxyHeader? header, out ProxyError error)
    {
        header = null;
        error = ProxyError.None;
        var versionCommand = bytes[12];
        var familyTransport = bytes[13];
        var length = BinaryPrimitives.ReadUInt16BigEndian(bytes[14..]);
        if (versionCommand >> 4 != 2)
            return Fail(ProxyError.BadVersion, out error);
        var command = versionCommand & 0x0F;
        if (command > 1)
            return Fail(ProxyError.BadCommand, out error);
        var (family, addressLength) = (familyTransport >> 4) switch
        {
            0 => ("UNSPEC", 0),
            1 => ("INET", 12),
            2 => ("INET6", 36),
            3 => ("UNIX", 216),
            _ => ("", -1),
        };
        if (addressLength < 0)
            return Fail(ProxyError.BadFamily, out error);
        var transport = (familyTransport & 0x0F) switch { 0 => "UNSPEC", 1 => "STREAM", 2 => "DGRAM", _ => "" };
        if (transport.Length == 0)
            return Fail(ProxyError.BadTransport, out error);
        if (bytes.Length < 16 + length)
            return false;
        // Only PROXY with a family and a transport both given has a block to read. LOCAL's is
        // discarded "including the family which is ignored"; for an UNSPEC family or transport
        // "the receiver should ignore address information", whose length it cannot know, so no
        // TLVs can be found either. Such blocks are skipped by their length, whatever they hold,
        // and the real endpoints kept.
        if (command == 0 || family == "UNSPEC" || transport == "UNSPEC")
        {
            header = new ProxyHeader(2, true, null, null, family, transport, null, null, [], 16 + length);
            return true;
        }

        if (length < addressLength)
            return Fail(ProxyError.LengthTooSmall, out error);

        var block = bytes.Slice(16, length);
        IPEndPoint? source = null, destination = null;
        string? unixSource = null, unixDestination = null;
        switch (family)
        {
            case "INET":
                source = new IPEndPoint(new IPAddress(block[..4]), BinaryPrimitives.ReadUInt16BigEndian(block[8..]));
                destination = new IPEndPoint(new IPAddress(block[4..8]), BinaryPrimitives.ReadUInt16BigEndian(block[10..]));
                break;
            case "INET6":
                source = new IPEndPoint(new IPAddress(block[..16]), BinaryPrimitives.ReadUInt16BigEndian(block[32..]));
                destination = new IPEndPoint(new IPAddress(block[16..32]), BinaryPrimitives.ReadUInt16BigEndian(block[34..]));
                break;
            case "UNIX":
                unixSource = UntilNul(block[..108]);
                unixDestination = UntilNul(block[108..216]);
                break;
        }

        var tlvs = new List<ProxyTlv>();
        ProxySsl? ssl = null;
        var rest = block[addressLength..];
        while (rest.Length > 0)
        {
            if (rest.Length < 3)
                return Fail(ProxyError.BadTlv, out error);
            var type = rest[0];
            var valueLength = BinaryPrimitives.ReadUInt16BigEndian(rest[1..]);
            if (rest.Length < 3 + valueLength)
                return Fail(ProxyError.BadTlv, out error);
            var value = rest.Slice(3, valueLength);
            switch (type)
            {
                case ProxyTlv.Crc32C:
                    if (valueLength != 4)
                        return Fail(ProxyError.BadTlv, out error);
                    var offset = 16 + length - rest.Length + 3;
                    if (Crc32C(bytes[..(16 + length)], offset) != BinaryPrimitives.ReadUInt32BigEndian(value))
                        return Fail(ProxyError.CrcMismatch, out error);
                    break;
                case ProxyTlv.UniqueId when valueLength > 128:
                    return Fail(ProxyError.BadTlv, out error);
                case ProxyTlv.Ssl:
                    ssl = ParseSsl(value);
                    if (ssl is null)
                        return Fail(ProxyError.BadTlv, out error);
                    break;
            }

            tlvs.Add(new ProxyTlv(type, value.ToArray()));
            rest = rest[(3 + valueLength)..];
        }

        var isLocal = family == "UNIX";
        header = new ProxyHeader(2, isLocal, source, destination, family, transport,
            unixSource, unixDestination, tlvs, 16 + length) { Ssl = ssl };
        return true;
    }

    private static ProxySsl? ParseSsl(ReadOnlySpan<byte> value)
    {
        if (value.Length < 5)
            return null;
        string? version = null, commonName = null, cipher = null;
        var rest = value[5..];
        while (rest.Length > 0)
        {
            if (rest.Length < 3)
                return null;
            var subLength = BinaryPrimitives.ReadUInt16BigEndian(rest[1..]);
            if (rest.Length < 3 + subLength)
                return null;
            var text = Encoding.UTF8.GetString(rest.Slice(3, subLength));
            switch (rest[0])
            {
                case ProxyTlv.SslVersion: version = text; break;
                case ProxyTlv.SslCommonName: commonName = text; break;
                case ProxyTlv.SslCipher: cipher = text; break;
            }

            rest = rest[(3 + subLength)..];
        }

        return new ProxySsl(value[0], BinaryPrimitives.ReadUInt32BigEndian(value[1..]), version, commonName, cipher);
    }

    // CRC32c (Castagnoli) over the header with the 4 CRC bytes at crcOffset taken as zero (§2.2.5).
    private static uint Crc32C(ReadOnlySpan<byte> header, int crcOffset)
    {
        var crc = uint.MaxValue;
        for (var i = 0; i < header.Length; i++)
            crc = BitOperations.Crc32C(crc, i >= crcOffset && i < crcOffset + 4 ? (byte)0 : header[i]);
        return ~crc;
    }

    private static string UntilNul(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
    }

    // "PROXY TCP4 src dst sport dport\r\n", "PROXY TCP6 ...", or "PROXY UNKNOWN[ anything]\r\n" (§2.1).
    private static bool ParseV1(ReadOnlySpan<byte> bytes, out ProxyHeader? header, out ProxyError error)
    {
        header = null;
        error = ProxyError.None;
        var window = bytes[..Math.Min(bytes.Length, V1MaxLength)];
        var lf = window.IndexOf((byte)'\n');
        var cr = window.IndexOf((byte)'\r');
        if (cr >= 0 && (cr + 1 >= window.Length ? false : window[cr + 1] != (byte)'\n'))
            return Fail(ProxyError.BadLineEnding, out error);
        if (lf >= 0 && (lf == 0 || window[lf - 1] != (byte)'\r'))
            return Fail(ProxyError.BadLineEnding, out error);
        if (lf < 0)
            return bytes.Length >= V1MaxLength ? Fail(ProxyError.LineTooLong, out error) : false;

        var line = Encoding.ASCII.GetString(window[..(lf - 1)]);
        var length = lf + 1;
        var fields = line.Split(' ');
        if (fields.Length >= 2 && fields[1] == "UNKNOWN")
        {
            header = new ProxyHeader(1, true, null, null, "UNSPEC", "UNSPEC", null, null, [], length);
            return true;
        }

        if (fields.Length != 6 || fields.Any(f => f.Length == 0))
            return Fail(ProxyError.Syntax, out error);
        var family = fields[1] switch { "TCP4" => "INET", "TCP6" => "INET6", _ => null };
        if (family is null)
            return Fail(ProxyError.BadProtocol, out error);
        if (!TryAddress(fields[2], family, out var source) || !TryAddress(fields[3], family, out var destination))
            return Fail(ProxyError.BadAddress, out error);
        if (!TryPort(fields[4], out var sourcePort) || !TryPort(fields[5], out var destinationPort))
            return Fail(ProxyError.BadPort, out error);
        header = new ProxyHeader(1, false, new IPEndPoint(source, sourcePort), new IPEndPoint(destination, destinationPort),
            family, "STREAM", null, null, [], length);
        return true;
    }

    // TCP4 wants a dotted quad without leading zeros; TCP6 an IPv6 address in any RFC 4291 form.
    private static bool TryAddress(string text, string family, out IPAddress address)
    {
        address = IPAddress.None;
        if (family == "INET")
        {
            var parts = text.Split('.');
            if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || (p.Length > 1 && p[0] == '0') || !p.All(char.IsAsciiDigit) || int.Parse(p, CultureInfo.InvariantCulture) > 255))
                return false;
            address = IPAddress.Parse(text);
            return true;
        }

        return text.Contains(':') && !text.Contains('%') && IPAddress.TryParse(text, out address!)
               && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
    }

    private static bool TryPort(string text, out int port)
    {
        port = 0;
        return text.Length is > 0 and <= 5 && text.All(char.IsAsciiDigit) && (text.Length == 1 || text[0] != '0')
               && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535;
    }

    private static bool Fail(ProxyError reason, out ProxyError error)
    {
        error = reason;
        return true;
    }
}
