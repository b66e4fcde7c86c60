using System.Net;
using Pipeline.Delivery.Routing;
using Pipeline.Delivery.Tls;
using Pipeline.Infrastructure.Dns;

namespace Pipeline.Delivery.Tests.Tls;

/// <summary>RFC 7672 §2.2's cases, one by one, as <see cref="DanePolicy"/> decides them.</summary>
public class DanePolicyTests
{
    private static readonly RouteHost Host = new("mx.example.com", 25, DnssecAuthenticated: true);

    private static readonly TlsaRecord Usable = new(3, 1, 1, new byte[32]);

    private static readonly TlsaRecord PkixEe = new(1, 1, 1, new byte[32]);

    private static TlsHostPolicy Policy(bool tryDane = true, bool requireDane = false) =>
        new(false, false, false, false, false, true, true, tryDane, requireDane);

    private static DnsResult<TlsaRecord> Answer(DnsStatus status, bool authenticated, params TlsaRecord[] records) =>
        new(status, records, authenticated, status == DnsStatus.TemporaryFailure ? "SERVFAIL" : null);

    [Fact]
    public void usable_validated_records_require_tls_authenticated_by_them()
    {
        var decision = DanePolicy.Decide(Policy(), Host, true, Answer(DnsStatus.Found, true, Usable, PkixEe));
        Assert.Equal([Usable], decision.Requirement!.Records);
        Assert.True(decision.Requirement.RequiresTls);
    }

    [Fact]
    public void a_validated_set_with_no_usable_record_requires_tls_without_authentication()
    {
        Assert.Equal(DaneRequirement.TlsOnly, DanePolicy.Decide(Policy(), Host, true, Answer(DnsStatus.Found, true, PkixEe)).Requirement);
        Assert.StartsWith("dane-required:", DanePolicy.Decide(Policy(requireDane: true), Host, true, Answer(DnsStatus.Found, true, PkixEe)).Error,
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DnsStatus.Found, false)]
    [InlineData(DnsStatus.NameNotFound, true)]
    [InlineData(DnsStatus.NoData, true)]
    public void insecure_records_or_a_validated_denial_mean_no_dane_unless_it_is_required(DnsStatus status, bool authenticated)
    {
        var answer = Answer(status, authenticated, status == DnsStatus.Found ? [Usable] : []);
        Assert.Equal(DaneRequirement.None, DanePolicy.Decide(Policy(), Host, true, answer).Requirement);
        Assert.Equal("dane-required: _25._tcp.mx.example.com has no usable DNSSEC-validated TLSA records",
            DanePolicy.Decide(Policy(requireDane: true), Host, true, answer).Error);
    }

    [Fact]
    public void a_failed_lookup_defers_the_server()
    {
        var decision = DanePolicy.Decide(Policy(), Host, true, Answer(DnsStatus.TemporaryFailure, false));
        Assert.Null(decision.Requirement);
        Assert.Equal("tlsa-lookup: the TLSA lookup for _25._tcp.mx.example.com failed (SERVFAIL)", decision.Error);
    }

    [Fact]
    public void unvalidated_lookups_of_the_host_mean_no_dane_unless_it_is_required()
    {
        Assert.False(DanePolicy.WantsTlsa(Policy(), eligible: false));
        Assert.Equal(DaneRequirement.None, DanePolicy.Decide(Policy(), Host, false, null).Requirement);
        Assert.Equal("dane-required: the lookups of mx.example.com were not DNSSEC-validated",
            DanePolicy.Decide(Policy(requireDane: true), Host, false, null).Error);
    }

    [Fact]
    public void a_host_dane_is_not_tried_with_is_left_alone()
    {
        Assert.False(DanePolicy.WantsTlsa(Policy(tryDane: false), eligible: true));
        Assert.Equal(DaneRequirement.None, DanePolicy.Decide(Policy(tryDane: false), Host, true, null).Requirement);
    }

    [Fact]
    public void host_lists_choose_the_policy_by_name_as_well_as_by_address()
    {
        var options = new DeliveryOptions
        {
            HostsRequireOcsp = ["mx-ocsp.example.com"],
            HostsRequireDane = ["*.dane.example.com"],
            HostsTryDane = ["!192.0.2.99", "*"],
        };
        options.Validate();
        var shared = IPAddress.Parse("192.0.2.1");
        Assert.True(TlsHostPolicy.For(options, "mx-ocsp.example.com", shared).RequireOcsp);
        Assert.True(TlsHostPolicy.For(options, "MX-OCSP.example.com.", shared).Require);
        Assert.False(TlsHostPolicy.For(options, "mx.example.com", shared).RequireOcsp);
        Assert.True(TlsHostPolicy.For(options, "mx.dane.example.com", shared).RequireDane);
        Assert.False(TlsHostPolicy.For(options, "mx.example.com", IPAddress.Parse("192.0.2.99")).TryDane);
    }
}
