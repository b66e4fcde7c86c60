using Pipeline.Delivery.Routing;
using Pipeline.Delivery.Tls;
using Pipeline.Infrastructure.Dns;

namespace Pipeline.Delivery.Tests.Tls;

/// <summary>The TLS report name (RFC 8460 §4.3.2) each DANE failure decided before connecting is recorded with.</summary>
public class DaneResultTypeTests
{
    private static readonly RouteHost Host = new("mx.example.com", 25, DnssecAuthenticated: true);

    private static readonly TlsHostPolicy RequireDane = new(false, false, false, false, false, true, true, true, true);

    private static DnsResult<TlsaRecord> Answer(DnsStatus status, bool authenticated, params TlsaRecord[] records) =>
        new(status, records, authenticated, status == DnsStatus.TemporaryFailure ? "SERVFAIL" : null);

    [Fact]
    public void lookups_that_were_not_validated_mean_dane_required()
    {
        var decision = DanePolicy.Decide(RequireDane, Host, false, null);
        Assert.Equal((TlsRptNames.DaneRequired, 0), (decision.ResultType, decision.Tlsa!.Count));
    }

    [Fact]
    public void a_failed_tlsa_lookup_means_dnssec_invalid()
    {
        Assert.Equal(TlsRptNames.DnssecInvalid, DanePolicy.Decide(RequireDane, Host, true, Answer(DnsStatus.TemporaryFailure, false)).ResultType);
    }

    [Fact]
    public void a_validated_set_with_no_usable_record_means_tlsa_invalid_and_keeps_the_records()
    {
        var decision = DanePolicy.Decide(RequireDane, Host, true, Answer(DnsStatus.Found, true, new TlsaRecord(1, 1, 1, new byte[32])));
        Assert.Equal(TlsRptNames.TlsaInvalid, decision.ResultType);
        Assert.Equal([$"1 1 1 {new string('0', 64)}"], decision.Tlsa);
    }

    [Fact]
    public void no_validated_records_under_require_dane_mean_dane_required()
    {
        Assert.Equal(TlsRptNames.DaneRequired, DanePolicy.Decide(RequireDane, Host, true, Answer(DnsStatus.NameNotFound, true)).ResultType);
    }

    [Fact]
    public void a_usable_set_is_no_failure()
    {
        var decision = DanePolicy.Decide(RequireDane, Host, true, Answer(DnsStatus.Found, true, new TlsaRecord(3, 1, 1, new byte[32])));
        Assert.Null(decision.ResultType);
        Assert.Null(decision.Error);
    }
}
