using System.Buffers;
using System.Net;
using System.Text.Json;
using Pipeline.Ingress.Proxy;

namespace Pipeline.Ingress.Tests.Conformance;

/// <summary>
/// The 59 PROXY protocol vectors of tests/testdata/proxy-protocol (made from haproxy's
/// specification and cross-checked against haproxy 2.6), case by case.
/// </summary>
public class ProxyProtocolVectorsTests
{
    private static readonly JsonElement[] Cases = Load();

    private static JsonElement[] Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "testdata", "proxy-protocol", "proxy-protocol-vectors.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone()).ToArray();
    }

    public static TheoryData<string> Names()
    {
        var names = new TheoryData<string>();
        foreach (var c in Cases)
            names.Add(c.GetProperty("name").GetString()!);
        return names;
    }

    [Fact]
    public void the_suite_is_complete() => Assert.Equal(59, Cases.Length);

    [Theory]
    [MemberData(nameof(Names))]
    public void each_vector_is_parsed_or_refused_as_the_specification_says(string name)
    {
        var vector = Cases.Single(c => c.GetProperty("name").GetString() == name);
        var bytes = Convert.FromHexString(vector.GetProperty("hex").GetString()!);
        var decided = ProxyHeaderParser.TryParse(new ReadOnlySequence<byte>(bytes), out var header, out var error);

        if (!vector.GetProperty("valid").GetBoolean())
        {
            // An incomplete header is refused by the timeout that waits for the rest.
            var refused = !decided || error != ProxyError.None;
            Assert.True(refused, $"{name}: accepted, expected {vector.GetProperty("error").GetString()}");
            Assert.Null(header);
            return;
        }

        Assert.True(decided, $"{name}: still waiting for bytes");
        Assert.True(header is not null, $"{name}: refused with {error}");
        var expect = vector.GetProperty("expect");
        Assert.Equal(expect.GetProperty("header_length").GetInt32(), header.Length);
        Assert.Equal(expect.GetProperty("trailing_hex").GetString(), Convert.ToHexStringLower(bytes[header.Length..]));

        var useReal = expect.TryGetProperty("use_real_endpoints", out var real) && real.GetBoolean();
        if (header.Version == 2)
        {
            Assert.Equal(expect.GetProperty("command").GetString() == "LOCAL" || header.Family is "UNSPEC" or "UNIX", header.IsLocal);
            Assert.Equal(expect.GetProperty("family").GetString(), header.Family);
            Assert.Equal(expect.GetProperty("transport").GetString(), header.Transport);
            var tlvs = expect.GetProperty("tlvs").EnumerateArray().ToList();
            Assert.Equal(tlvs.Count, header.Tlvs.Count);
            for (var i = 0; i < tlvs.Count; i++)
            {
                Assert.Equal(tlvs[i].GetProperty("type").GetInt32(), header.Tlvs[i].Type);
                Assert.Equal(tlvs[i].GetProperty("value_hex").GetString(), Convert.ToHexStringLower(header.Tlvs[i].Value));
                if (tlvs[i].TryGetProperty("ssl", out var ssl))
                {
                    Assert.NotNull(header.Ssl);
                    Assert.Equal(ssl.GetProperty("client").GetInt32(), header.Ssl.Client);
                    Assert.Equal(ssl.GetProperty("verify").GetUInt32(), header.Ssl.Verify);
                }
            }

            if (header.Family == "UNIX")
            {
                Assert.Equal(expect.GetProperty("source_address").GetString(), header.UnixSource);
                Assert.Equal(expect.GetProperty("destination_address").GetString(), header.UnixDestination);
                return;
            }
        }
        else
        {
            Assert.Equal(useReal, header.IsLocal);
        }

        if (header.IsLocal || useReal)
            return;
        Assert.Equal(IPAddress.Parse(expect.GetProperty("source_address").GetString()!), header.Source!.Address);
        Assert.Equal(IPAddress.Parse(expect.GetProperty("destination_address").GetString()!), header.Destination!.Address);
        Assert.Equal(expect.GetProperty("source_port").GetInt32(), header.Source.Port);
        Assert.Equal(expect.GetProperty("destination_port").GetInt32(), header.Destination.Port);
    }

    [Fact]
    public void every_prefix_of_a_valid_header_waits_for_more()
    {
        foreach (var vector in Cases.Where(c => c.GetProperty("valid").GetBoolean()))
        {
            var bytes = Convert.FromHexString(vector.GetProperty("hex").GetString()!);
            var length = vector.GetProperty("expect").GetProperty("header_length").GetInt32();
            for (var n = 0; n < length; n++)
                Assert.False(ProxyHeaderParser.TryParse(new ReadOnlySequence<byte>(bytes, 0, n), out _, out _),
                    $"{vector.GetProperty("name").GetString()}: decided after {n} of {length} bytes");
        }
    }
}
