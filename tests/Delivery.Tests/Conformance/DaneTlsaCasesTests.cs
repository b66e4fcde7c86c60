using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Pipeline.Delivery.Routing;
using Pipeline.Delivery.Tls;
using Pipeline.Infrastructure.Dns;

namespace Pipeline.Delivery.Tests.Conformance;

/// <summary>
/// The 20 public TLSA cases of testdata/dane-tlsa (RFC 6698, 7671, 7672; see its
/// PROVENANCE.md), each run through what decides DANE for a connection: the record set, as a
/// validated answer, through <see cref="DanePolicy"/> (what the connection must satisfy), then
/// the presented chain through <see cref="DaneVerifier"/> (whether the server is authenticated).
/// "match": TLS required and the chain authenticated; "no-match": TLS required and the chain
/// refused, so nothing is sent; "unusable": TLS required without authentication, and under
/// HostsRequireDane the server deferred (RFC 7672 §2.2).
/// </summary>
public class DaneTlsaCasesTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "testdata", "dane-tlsa");

    private static readonly JsonDocument Cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "tlsa-cases.json")));

    // Within every test certificate's validity (November 2026 to November 2126).
    private static readonly DateTimeOffset Now = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly RouteHost Host = new("mx.example.com", 25, DnssecAuthenticated: true);

    private static readonly TlsHostPolicy TryDane = new(false, false, false, false, false, true, true, TryDane: true, RequireDane: false);

    public static TheoryData<string> Names()
    {
        var names = new TheoryData<string>();
        foreach (var c in Cases.RootElement.GetProperty("cases").EnumerateArray())
            names.Add(c.GetProperty("name").GetString()!);
        return names;
    }

    private static JsonElement Case(string name) =>
        Cases.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    // Each record from its presentation form, "3 1 1 8F0B...", as a zone file holds it.
    private static List<TlsaRecord> Records(JsonElement c) =>
        c.GetProperty("tlsa_rrset").EnumerateArray().Select(r =>
        {
            var fields = r.GetProperty("presentation").GetString()!.Split(' ', 4);
            return new TlsaRecord(int.Parse(fields[0], CultureInfo.InvariantCulture), int.Parse(fields[1], CultureInfo.InvariantCulture),
                int.Parse(fields[2], CultureInfo.InvariantCulture), Convert.FromHexString(fields[3].Replace(" ", "", StringComparison.Ordinal)));
        }).ToList();

    private static List<X509Certificate2> Chain(JsonElement c) =>
        c.GetProperty("presented_chain").EnumerateArray()
            .Select(f => X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Folder, f.GetString()!))).ToList();

    [Fact]
    public void the_file_holds_all_20_cases() => Assert.Equal(20, Names().Count);

    [Theory]
    [MemberData(nameof(Names))]
    public void each_case_decides_the_connection_as_the_rfcs_say(string name)
    {
        var c = Case(name);
        var expected = c.GetProperty("expected").GetString();
        var records = Records(c);
        var chain = Chain(c);
        var answer = new DnsResult<TlsaRecord>(DnsStatus.Found, records, Authenticated: true);

        var decision = DanePolicy.Decide(TryDane, Host, eligible: true, answer);
        Assert.Null(decision.Error);
        var requirement = decision.Requirement!;
        Assert.True(requirement.RequiresTls, $"{name}: a validated, non-empty TLSA record set requires TLS");
        var authenticated = DaneVerifier.Authenticates(chain, Host.Name, requirement.Records, Now);
        switch (expected)
        {
            case "match":
                Assert.NotEmpty(requirement.Records);
                Assert.True(authenticated, $"{name}: {c.GetProperty("openssl_3_0_s_client").GetString()}");
                break;
            case "no-match":
                Assert.NotEmpty(requirement.Records);
                Assert.False(authenticated, $"{name}: {c.GetProperty("openssl_3_0_s_client").GetString()}");
                break;
            case "unusable":
                Assert.Empty(requirement.Records);
                Assert.Equal(DaneRequirement.TlsOnly, requirement);
                Assert.False(DaneVerifier.Authenticates(chain, Host.Name, records, Now));
                var required = DanePolicy.Decide(TryDane with { RequireDane = true }, Host, eligible: true, answer);
                Assert.StartsWith("dane-required: _25._tcp.mx.example.com has no usable TLSA records", required.Error, StringComparison.Ordinal);
                break;
            default:
                Assert.Fail($"{name}: unknown expectation {expected}");
                break;
        }
    }

    [Theory]
    [InlineData("dane-ta-211-match")]
    [InlineData("dane-ta-202-match")]
    public void dane_ta_needs_the_host_name_in_the_certificate_and_dane_ee_does_not(string name)
    {
        var c = Case(name);
        Assert.True(DaneVerifier.Authenticates(Chain(c), "mx2.example.com", Records(c), Now));
        Assert.False(DaneVerifier.Authenticates(Chain(c), "other.example.net", Records(c), Now));
        var ee = Case("dane-ee-311-selfsigned-match");
        Assert.True(DaneVerifier.Authenticates(Chain(ee), "other.example.net", Records(ee), Now));
    }

    [Fact]
    public void a_digest_whose_length_does_not_fit_its_matching_type_is_unusable()
    {
        Assert.False(DaneVerifier.IsUsable(new TlsaRecord(3, 1, 1, new byte[31])));
        Assert.False(DaneVerifier.IsUsable(new TlsaRecord(3, 1, 1, new byte[64])));
        Assert.False(DaneVerifier.IsUsable(new TlsaRecord(3, 0, 2, new byte[32])));
        Assert.False(DaneVerifier.IsUsable(new TlsaRecord(3, 0, 0, [])));
        Assert.True(DaneVerifier.IsUsable(new TlsaRecord(2, 0, 2, new byte[64])));
        Assert.True(DaneVerifier.IsUsable(new TlsaRecord(3, 1, 0, new byte[91])));
    }
}
