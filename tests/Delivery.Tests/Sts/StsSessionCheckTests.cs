using System.Net;
using Pipeline.Delivery.Protocol;
using Pipeline.Delivery.Smtp;
using Pipeline.Delivery.Sts;
using Pipeline.Delivery.Tls;

namespace Pipeline.Delivery.Tests.Sts;

/// <summary>What an MTA-STS policy demands of a connection (RFC 8461 §4.2) and how a session that falls short is named (RFC 8460 §4.3).</summary>
public class StsSessionCheckTests
{
    private static readonly TlsHostPolicy Opportunistic = new(Avoid: true, Require: false, RequireOcsp: false, RequestOcsp: true, Verify: false,
        TryVerify: false, CheckName: false, TryDane: true, RequireDane: false);

    private static StsHost Host(StsMode mode, string hostName = "mx.example.test") =>
        new("example.test", "1", StsPolicy.Parse($"version: STSv1\nmode: {mode.ToString().ToLowerInvariant()}\nmx: *.example.test\nmax_age: 60\n"), hostName);

    private static ConnectionKey Key(StsHost? sts, string hostName = "MX.example.test") =>
        ConnectionKey.For(new IPEndPoint(IPAddress.Loopback, 25), null, hostName, Opportunistic, DaneRequirement.None, sts);

    private static TlsSessionInfo Session(bool verified, string? why = null) => new("TLS1.3", "TLS_AES_256_GCM_SHA384", [], verified, null, VerifyResultType: why);

    [Fact]
    public void enforce_requires_tls_never_avoided_with_a_certificate_that_verifies_and_names_the_host()
    {
        var policy = Opportunistic.Under(Host(StsMode.Enforce));
        Assert.Equal(Opportunistic with { Avoid = false, Require = true, Verify = true, CheckName = true }, policy);
    }

    [Fact]
    public void testing_checks_the_certificate_and_its_name_without_requiring_anything()
    {
        var policy = Opportunistic.Under(Host(StsMode.Testing));
        Assert.Equal(Opportunistic with { Avoid = false, TryVerify = true, CheckName = true }, policy);
    }

    [Fact]
    public void a_session_without_a_policy_or_that_meets_it_has_no_failure()
    {
        Assert.Null(StsSessionCheck.Failure(Key(null), null));
        Assert.Null(StsSessionCheck.Failure(Key(Host(StsMode.Testing)), Session(verified: true)));
    }

    [Fact]
    public void a_host_the_policy_does_not_name_is_a_validation_failure_whatever_its_tls()
    {
        var failure = StsSessionCheck.Failure(Key(Host(StsMode.Testing, "mx.other.test"), "mx.other.test"), Session(verified: true));
        Assert.Equal("validation-failure", failure?.ResultType);
        Assert.Equal("MTA-STS: mx.other.test is not an MX host the policy of example.test names (mx: *.example.test)", failure?.Reason);
    }

    [Fact]
    public void a_session_in_the_clear_is_starttls_not_supported() =>
        Assert.Equal("starttls-not-supported", StsSessionCheck.Failure(Key(Host(StsMode.Testing)), null)?.ResultType);

    [Theory]
    [InlineData("certificate-host-mismatch", "certificate-host-mismatch")]
    [InlineData("certificate-expired", "certificate-expired")]
    [InlineData(null, "validation-failure")]
    public void a_certificate_that_does_not_verify_is_named_by_why(string? why, string resultType) =>
        Assert.Equal(resultType, StsSessionCheck.Failure(Key(Host(StsMode.Testing)), Session(verified: false, why))?.ResultType);

    [Fact]
    public void keys_under_equal_policies_are_equal_and_under_another_policy_are_not()
    {
        Assert.Equal(Key(Host(StsMode.Testing)), Key(Host(StsMode.Testing)));
        Assert.NotEqual(Key(Host(StsMode.Testing)), Key(Host(StsMode.Enforce)));
        Assert.NotEqual(Key(Host(StsMode.Testing)), Key(null));
    }
}
