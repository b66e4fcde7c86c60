using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text;
using CsCheck;
using Pipeline.Ingress.Proxy;
using Pipeline.Tests.Shared;

namespace Pipeline.Ingress.Tests.Protocol;

/// <summary>
/// The PROXY header parser against an encoder written here from haproxy's proxy-protocol.txt
/// (§2.1 version 1, §2.2 version 2 and its TLVs): what is encoded parses back to the same
/// header, whatever segments the bytes arrive in; its length is exactly the header's; every
/// prefix waits for more; a length that lies is an error.
/// </summary>
public class ProxyHeaderPropertyTests
{
    private static ReadOnlySpan<byte> Signature => "\r\n\r\n\0\r\nQUIT\n"u8;

    private static readonly byte[] Smtp = "EHLO client.example\r\n"u8.ToArray();

    private static readonly string[] Families = ["UNSPEC", "INET", "INET6", "UNIX"];

    private static readonly string[] Transports = ["UNSPEC", "STREAM", "DGRAM"];

    // ---- the encoder ----

    // The 16-byte fixed part (§2.2) and the block.
    private static byte[] V2(int command, int family, int transport, byte[] block, int? length = null)
    {
        var header = new byte[16 + block.Length];
        Signature.CopyTo(header);
        header[12] = (byte)(0x20 | command);
        header[13] = (byte)(family << 4 | transport);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)(length ?? block.Length));
        block.CopyTo(header, 16);
        return header;
    }

    private static byte[] Addresses(IPEndPoint source, IPEndPoint destination)
    {
        var s = source.Address.GetAddressBytes();
        var d = destination.Address.GetAddressBytes();
        var block = new byte[s.Length * 2 + 4];
        s.CopyTo(block, 0);
        d.CopyTo(block, s.Length);
        BinaryPrimitives.WriteUInt16BigEndian(block.AsSpan(2 * s.Length), (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(block.AsSpan(2 * s.Length + 2), (ushort)destination.Port);
        return block;
    }

    // Two 108-byte fields, NUL padded (§2.2, union proxy_addr).
    private static byte[] UnixAddresses(string source, string destination)
    {
        var block = new byte[216];
        Encoding.ASCII.GetBytes(source).CopyTo(block, 0);
        Encoding.ASCII.GetBytes(destination).CopyTo(block, 108);
        return block;
    }

    private static byte[] Tlv(byte type, byte[] value)
    {
        var tlv = new byte[3 + value.Length];
        tlv[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(tlv.AsSpan(1), (ushort)value.Length);
        value.CopyTo(tlv, 3);
        return tlv;
    }

    // CRC32c, Castagnoli, bit by bit (RFC 4960 Appendix B): a reference apart from the parser's.
    private static uint Crc32C(ReadOnlySpan<byte> bytes)
    {
        var crc = uint.MaxValue;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? crc >> 1 ^ 0x82F63B78 : crc >> 1;
        }

        return ~crc;
    }

    // A v2 header whose block is the addresses and the TLVs; when crcAt is given, a CRC32C TLV
    // goes there among the others, its value computed over the whole header (§2.2.3).
    private static (byte[] Bytes, List<ProxyTlv> Tlvs) Interpreted(int family, int transport, byte[] addresses, List<ProxyTlv> tlvs, int? crcAt)
    {
        var all = new List<ProxyTlv>(tlvs);
        if (crcAt is { } at)
            all.Insert(Math.Min(at, all.Count), new ProxyTlv(ProxyTlv.Crc32C, new byte[4]));
        var block = addresses.Concat(all.SelectMany(t => Tlv(t.Type, t.Value))).ToArray();
        var bytes = V2(1, family, transport, block);
        if (crcAt is not null)
        {
            var offset = 16 + addresses.Length + all.TakeWhile(t => t.Type != ProxyTlv.Crc32C).Sum(t => 3 + t.Value.Length) + 3;
            var crc = Crc32C(bytes);
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(offset), crc);
            all[all.FindIndex(t => t.Type == ProxyTlv.Crc32C)] = new ProxyTlv(ProxyTlv.Crc32C, bytes[offset..(offset + 4)]);
        }

        return (bytes, all);
    }

    // ---- the generators ----

    private static readonly Gen<IPAddress> Ip4 = Gen.Byte.Array[4].Select(b => new IPAddress(b));

    private static readonly Gen<IPAddress> Ip6 = Gen.Byte.Array[16].Select(b => new IPAddress(b));

    private static Gen<IPEndPoint> EndPoint(Gen<IPAddress> address) =>
        Gen.Select(address, Gen.Int[0, 65535], (a, p) => new IPEndPoint(a, p));

    private static readonly Gen<string> UnixPath = Gen.Char['!', '~'].Array[0, 108].Select(c => new string(c));

    private static Gen<string> Ascii(int min, int max) => Gen.Char[' ', '~'].Array[min, max].Select(c => new string(c));

    // PP2_TYPE_SSL with its client and verify fields and some of its sub-TLVs (§2.2.6).
    private static readonly Gen<(ProxyTlv Tlv, ProxySsl Ssl)> SslTlv =
        Gen.Select(Gen.Byte[0, 7], Gen.UInt, Ascii(1, 12).Null(), Ascii(1, 30).Null(), Ascii(1, 30).Null(), Ascii(1, 12).Null(),
            (client, verify, version, commonName, cipher, signature) =>
            {
                var value = new byte[5];
                value[0] = client;
                BinaryPrimitives.WriteUInt32BigEndian(value.AsSpan(1), verify);
                foreach (var (type, text) in new[] { (ProxyTlv.SslVersion, version), (ProxyTlv.SslCommonName, commonName), (ProxyTlv.SslCipher, cipher), (ProxyTlv.SslSignatureAlgorithm, signature) })
                    if (text is not null)
                        value = [.. value, .. Tlv(type, Encoding.ASCII.GetBytes(text))];
                return (new ProxyTlv(ProxyTlv.Ssl, value), new ProxySsl(client, verify, version, commonName, cipher));
            });

    // Registered types the parser does not check, custom (0xE0-0xEF) and future ones, a
    // UNIQUE_ID within its 128 bytes, and SSL.
    private static readonly Gen<(ProxyTlv Tlv, ProxySsl? Ssl)> AnyTlv = Gen.Frequency(
        (4, Gen.Select(Gen.OneOf(ProxyTlv.Alpn, ProxyTlv.Authority, ProxyTlv.Noop, ProxyTlv.Netns, (byte)0xE0, (byte)0xEF, (byte)0xF8, (byte)0x06),
            Gen.Byte.Array[0, 40], (t, v) => (new ProxyTlv(t, v), (ProxySsl?)null))),
        (1, Gen.Byte.Array[0, 128].Select(v => (new ProxyTlv(ProxyTlv.UniqueId, v), (ProxySsl?)null))),
        (1, SslTlv.Select(s => (s.Tlv, (ProxySsl?)s.Ssl))));

    /// <summary>One v2 header and the header it must parse to.</summary>
    public sealed record V2Case(byte[] Bytes, ProxyHeader Expected, string Shown)
    {
        public override string ToString() => Shown;
    }

    private static ProxyHeader Discarded(int family, int transport, int length) =>
        new(2, true, null, null, Families[family], Transports[transport], null, null, [], length);

    // The block as the command, family and transport ask (§2.2). Only PROXY with a family and a
    // transport both specified has a block to read: addresses, then TLVs. LOCAL's block is
    // discarded "including the family which is ignored", and an UNSPEC family or transport says
    // the receiver "should ignore address information" (whose length it cannot know), so those
    // blocks, whatever they hold, are skipped by their length and the real endpoints kept.
    private static Gen<V2Case> Case(int command, int family, int transport)
    {
        if (command == 0 || family == 0 || transport == 0)
        {
            var block = Gen.Frequency(
                (2, Gen.Byte.Array[0, 300]),
                (1, Gen.Select(EndPoint(Ip4), EndPoint(Ip4), Addresses)),
                (1, Gen.Select(EndPoint(Ip6), EndPoint(Ip6), AnyTlv.Array[0, 3], (s, d, t) => Addresses(s, d).Concat(t.SelectMany(x => Tlv(x.Tlv.Type, x.Tlv.Value))).ToArray())),
                (1, Gen.Select(UnixPath, UnixPath, UnixAddresses)));
            return block.Select(b => new V2Case(V2(command, family, transport, b), Discarded(family, transport, 16 + b.Length),
                $"cmd={command} fam={family} tr={transport} block={Convert.ToHexString(b)}"));
        }

        var addresses = family switch
        {
            1 => Gen.Select(EndPoint(Ip4), EndPoint(Ip4), (s, d) => (Addresses(s, d), (IPEndPoint?)s, (IPEndPoint?)d, (string?)null, (string?)null)),
            2 => Gen.Select(EndPoint(Ip6), EndPoint(Ip6), (s, d) => (Addresses(s, d), (IPEndPoint?)s, (IPEndPoint?)d, (string?)null, (string?)null)),
            _ => Gen.Select(UnixPath, UnixPath, (s, d) => (UnixAddresses(s, d), (IPEndPoint?)null, (IPEndPoint?)null, (string?)s, (string?)d)),
        };
        return Gen.Select(addresses, AnyTlv.Array[0, 4], Gen.Int[0, 4].Nullable()).Select((a, tlvs, crcAt) =>
        {
            var (bytes, all) = Interpreted(family, transport, a.Item1, tlvs.Select(t => t.Tlv).ToList(), crcAt);
            var isLocal = family == 3; // UNIX: read, but the real endpoints are kept
            var expected = new ProxyHeader(2, isLocal, isLocal ? null : a.Item2, isLocal ? null : a.Item3, Families[family], Transports[transport],
                a.Item4, a.Item5, all, bytes.Length) { Ssl = tlvs.LastOrDefault(t => t.Ssl is not null).Ssl };
            return new V2Case(bytes, expected, Convert.ToHexString(bytes));
        });
    }

    // ---- the checks ----

    private static void AssertSame(ProxyHeader expected, ProxyHeader? actual, string shown)
    {
        Assert.True(actual is not null, shown);
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.IsLocal, actual.IsLocal);
        Assert.Equal(expected.Source, actual.Source);
        Assert.Equal(expected.Destination, actual.Destination);
        Assert.Equal(expected.Family, actual.Family);
        Assert.Equal(expected.Transport, actual.Transport);
        Assert.Equal(expected.UnixSource, actual.UnixSource);
        Assert.Equal(expected.UnixDestination, actual.UnixDestination);
        Assert.Equal(expected.Tlvs.Select(t => (t.Type, Convert.ToHexString(t.Value))), actual.Tlvs.Select(t => (t.Type, Convert.ToHexString(t.Value))));
        Assert.Equal(expected.Ssl, actual.Ssl);
        Assert.Equal(expected.Length, actual.Length);
    }

    private static ProxyHeader? Parsed(ReadOnlySequence<byte> input, string shown)
    {
        Assert.True(ProxyHeaderParser.TryParse(input, out var header, out var error), $"{shown}: still waiting");
        Assert.True(error == ProxyError.None, $"{shown}: refused with {error}");
        return header;
    }

    // The header alone, followed by SMTP, split in two at every position and in random chunks:
    // always the same header, of exactly its length; every prefix waits for more.
    private static void Holds(byte[] bytes, ProxyHeader expected, string shown, int[] cuts)
    {
        AssertSame(expected, Parsed(new ReadOnlySequence<byte>(bytes), shown), shown);
        byte[] stream = [.. bytes, .. Smtp];
        var header = Parsed(new ReadOnlySequence<byte>(stream), shown);
        AssertSame(expected, header, shown);
        Assert.Equal(Smtp, stream[header!.Length..]);

        for (var split = 1; split < stream.Length; split++)
            AssertSame(expected, Parsed(Segments.Of(stream[..split], stream[split..]), shown), $"{shown} split at {split}");
        var parts = cuts.Select(c => c % stream.Length).Append(0).Append(stream.Length).Distinct().Order().ToArray();
        AssertSame(expected, Parsed(Segments.Of(parts.Zip(parts[1..], (a, b) => stream[a..b]).ToArray()), shown), $"{shown} cut at {string.Join(',', parts)}");

        for (var n = 0; n < bytes.Length; n++)
        {
            Assert.False(ProxyHeaderParser.TryParse(new ReadOnlySequence<byte>(bytes, 0, n), out var partial, out var error),
                $"{shown}: decided ({error}) after {n} of {bytes.Length} bytes");
            Assert.Null(partial);
        }
    }

    /// <summary>Every command (LOCAL, PROXY) × family (UNSPEC, INET, INET6, UNIX) × transport (UNSPEC, STREAM, DGRAM).</summary>
    public static TheoryData<int, int, int> Combinations()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var command in new[] { 0, 1 })
            for (var family = 0; family < 4; family++)
                for (var transport = 0; transport < 3; transport++)
                    data.Add(command, family, transport);
        return data;
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void a_v2_header_parses_to_what_was_encoded_however_it_is_split(int command, int family, int transport)
    {
        Gen.Select(Case(command, family, transport), Gen.Int[0, 1000].Array[0, 6])
            .Sample((c, cuts) => Holds(c.Bytes, c.Expected, c.Shown, cuts), iter: 60);
    }

    // A PROXY length shorter than the family's addresses (§2.2: 12, 36, 216 bytes), with the
    // bytes it claims present, is refused, whatever follows.
    [Fact]
    public void a_v2_length_too_short_for_the_addresses_is_an_error()
    {
        Gen.Select(Gen.Int[1, 3], Gen.Int[1, 2], Gen.Byte.Array[300]).SelectMany((family, transport, block) =>
                Gen.Int[0, (family switch { 1 => 12, 2 => 36, _ => 216 }) - 1].Select(length => (family, transport, block, length)))
            .Sample(c =>
            {
                var bytes = V2(1, c.family, c.transport, c.block, c.length);
                Assert.True(ProxyHeaderParser.TryParse(new ReadOnlySequence<byte>(bytes), out var header, out var error));
                Assert.Null(header);
                Assert.Equal(ProxyError.LengthTooSmall, error);
            });
    }

    // A length that ends inside a TLV leaves a TLV running past the header: an error, not a
    // shorter header and not a wait for more.
    [Fact]
    public void a_v2_length_that_cuts_a_tlv_is_an_error()
    {
        Gen.OneOf(Case(1, 1, 1), Case(1, 2, 2))
            .Where(c => c.Expected.Tlvs.Count > 0)
            .SelectMany(c =>
            {
                var addresses = c.Expected.Family == "INET" ? 12 : 36;
                var ends = c.Expected.Tlvs.Select((t, i) => c.Expected.Tlvs.Take(i + 1).Sum(x => 3 + x.Value.Length)).ToHashSet();
                return Gen.Int[1, c.Expected.Length - 16 - addresses - 1].Where(cut => !ends.Contains(cut))
                    .Select(cut => (c, length: addresses + cut));
            })
            .Sample(x =>
            {
                var bytes = x.c.Bytes.ToArray();
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(14), (ushort)x.length);
                Assert.True(ProxyHeaderParser.TryParse(new ReadOnlySequence<byte>(bytes), out var header, out var error), x.c.Shown);
                Assert.Null(header);
                Assert.True(error is ProxyError.BadTlv or ProxyError.CrcMismatch, $"{x.c.Shown} length {x.length}: {error}");
            });
    }

    // With a CRC32C TLV, a change to any address byte is caught (§2.2.3).
    [Fact]
    public void a_v2_header_changed_under_its_crc_is_refused()
    {
        Gen.Select(Gen.OneOf(Case(1, 1, 1), Case(1, 2, 1), Case(1, 3, 2)), Gen.Int[0, 215], Gen.Byte[1, 255])
            .Where((c, _, _) => c.Expected.Tlvs.Any(t => t.Type == ProxyTlv.Crc32C))
            .Sample((c, at, flip) =>
            {
                var bytes = c.Bytes.ToArray();
                bytes[16 + at % (c.Expected.Family switch { "INET" => 12, "INET6" => 36, _ => 216 })] ^= flip;
                Assert.True(ProxyHeaderParser.TryParse(new ReadOnlySequence<byte>(bytes), out var header, out var error));
                Assert.Null(header);
                Assert.Equal(ProxyError.CrcMismatch, error);
            });
    }

    // A family or transport nibble the specification does not define is refused (§2.2).
    [Fact]
    public void a_v2_family_or_transport_outside_the_specification_is_an_error()
    {
        Gen.Select(Gen.Int[0, 15], Gen.Int[0, 15], Gen.Byte.Array[0, 40]).Where((f, t, _) => f > 3 || t > 2)
            .Sample((family, transport, block) =>
            {
                Assert.True(ProxyHeaderParser.TryParse(new ReadOnlySequence<byte>(V2(1, family, transport, block)), out var header, out var error));
                Assert.Null(header);
                Assert.Equal(family > 3 ? ProxyError.BadFamily : ProxyError.BadTransport, error);
            });
    }

    // v1 (§2.1): "PROXY TCP4|TCP6 src dst sport dport\r\n", addresses in any form the family
    // allows (IPv6 compressed or not, either case), ports in decimal without leading zeros.
    private static readonly Gen<(string Line, ProxyHeader Expected)> V1Line = Gen.OneOf(
        Gen.Select(EndPoint(Ip4), EndPoint(Ip4), (s, d) => ("TCP4", s, d, s.Address.ToString(), d.Address.ToString())),
        Gen.Select(EndPoint(Ip6), EndPoint(Ip6), Gen.Int[0, 2], Gen.Int[0, 2], (s, d, fs, fd) => ("TCP6", s, d, Text6(s.Address, fs), Text6(d.Address, fd))))
        .Select(x =>
        {
            var line = $"PROXY {x.Item1} {x.Item4} {x.Item5} {x.s.Port} {x.d.Port}\r\n";
            return (line, new ProxyHeader(1, false, x.s, x.d, x.Item1 == "TCP4" ? "INET" : "INET6", "STREAM", null, null, [], line.Length));
        });

    private static string Text6(IPAddress address, int form)
    {
        var bytes = address.GetAddressBytes();
        var full = string.Join(':', Enumerable.Range(0, 8).Select(i => BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(2 * i)).ToString("x4", CultureInfo.InvariantCulture)));
        return form switch { 0 => address.ToString(), 1 => full, _ => full.ToUpperInvariant() };
    }

    // "PROXY UNKNOWN", alone or with anything after it up to the CRLF, 107 bytes at most.
    private static readonly Gen<(string Line, ProxyHeader Expected)> V1Unknown =
        Gen.Char[' ', '~'].Array[0, 107 - 16].Select(rest =>
        {
            var line = "PROXY UNKNOWN" + (rest.Length == 0 ? "" : " " + new string(rest)[1..]) + "\r\n";
            return (line, new ProxyHeader(1, true, null, null, "UNSPEC", "UNSPEC", null, null, [], line.Length));
        });

    [Fact]
    public void a_v1_line_parses_to_what_was_written_however_it_is_split()
    {
        Gen.Select(Gen.OneOf(V1Line, V1Unknown), Gen.Int[0, 1000].Array[0, 6])
            .Sample((c, cuts) =>
            {
                Assert.True(c.Line.Length <= ProxyHeaderParser.V1MaxLength);
                Holds(Encoding.ASCII.GetBytes(c.Line), c.Expected, c.Line, cuts);
            });
    }

    // v1 has no length field: a line without its CRLF within 107 bytes is an error, not a wait.
    [Fact]
    public void a_v1_line_with_no_crlf_within_107_bytes_is_an_error()
    {
        Gen.Char[' ', '~'].Array[ProxyHeaderParser.V1MaxLength - 6, 300].Sample(rest =>
        {
            var bytes = Encoding.ASCII.GetBytes("PROXY " + new string(rest));
            Assert.True(ProxyHeaderParser.TryParse(new ReadOnlySequence<byte>(bytes), out var header, out var error));
            Assert.Null(header);
            Assert.Equal(ProxyError.LineTooLong, error);
        });
    }

    // Found by the combinations above: a LOCAL header is to be taken whatever its block holds.
    [Theory]
    [InlineData("0d0a0d0a000d0a515549540a2000000102")]          // LOCAL UNSPEC, a block of one byte
    [InlineData("0d0a0d0a000d0a515549540a2011000ec000020ac6336419dc040019ffff")] // LOCAL INET, addresses then junk
    [InlineData("0d0a0d0a000d0a515549540a2100000403000100")]    // PROXY UNSPEC: a CRC TLV of the wrong size
    [InlineData("0d0a0d0a000d0a515549540a2110000dc000020ac6336419dc04001900")] // PROXY INET, transport UNSPEC
    public void a_block_to_ignore_is_skipped_by_its_length(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.True(ProxyHeaderParser.TryParse(new ReadOnlySequence<byte>(bytes), out var header, out var error));
        Assert.True(header is not null, $"refused with {error}");
        Assert.True(header.IsLocal);
        Assert.Null(header.Source);
        Assert.Empty(header.Tlvs);
        Assert.Equal(bytes.Length, header.Length);
    }
}
