using System.Text;
using Pipeline.Contracts.Events;
using Pipeline.Delivery.Protocol;
using Pipeline.Delivery.Routing;
using Pipeline.Delivery.Sts;
using Pipeline.Delivery.Tls;

namespace Pipeline.Delivery.Tests.Tls;

/// <summary>RFC 8689 on the sending side, as <see cref="RequireTls"/> decides it.</summary>
public class RequireTlsTests
{
    private static readonly TlsHostPolicy Opportunistic = new(Avoid: true, Require: false, RequireOcsp: false, RequestOcsp: false, Verify: false,
        TryVerify: true, CheckName: false, TryDane: true, RequireDane: false);

    private static MessageReceived Message(bool requireTls) =>
        new("m1", "c1", "sender@example.org", [Recipient.Parse("rcpt@example.net")], 10, "192.0.2.1", 25, "client", "esmtps", "192.0.2.2", 25,
            DateTimeOffset.UnixEpoch, RequireTls: requireTls);

    private static byte[] Content(string headers) => Encoding.ASCII.GetBytes(headers + "\r\n\r\nbody\r\n");

    [Fact]
    public void requiretls_wins_over_the_header_which_is_then_ignored()
    {
        Assert.Equal(TlsRequest.Required, RequireTls.Of(Message(true), Content("TLS-Required: No")));
        Assert.Equal(TlsRequest.Optional, RequireTls.Of(Message(false), Content("TLS-Required: No")));
        Assert.Equal(TlsRequest.Default, RequireTls.Of(Message(false), Content("Subject: x")));
    }

    [Fact]
    public void requiretls_requires_verified_tls_with_the_hosts_name_and_never_avoids_it()
    {
        var policy = RequireTls.Apply(Opportunistic, TlsRequest.Required);
        Assert.Equal(Opportunistic with { Avoid = false, Require = true, Verify = true, CheckName = true }, policy);
    }

    [Fact]
    public void tls_required_no_drops_dane_but_keeps_what_the_administrator_requires()
    {
        Assert.Equal(Opportunistic with { TryDane = false }, RequireTls.Apply(Opportunistic, TlsRequest.Optional));

        var strict = new TlsHostPolicy(Avoid: false, Require: true, RequireOcsp: true, RequestOcsp: true, Verify: true, TryVerify: true, CheckName: true,
            TryDane: true, RequireDane: true);
        Assert.Equal(strict, RequireTls.Apply(strict, TlsRequest.Optional));
        Assert.Equal(Opportunistic, RequireTls.Apply(Opportunistic, TlsRequest.Default));
    }

    [Fact]
    public void hosts_from_unvalidated_mx_records_are_refused_unless_mta_sts_names_them()
    {
        var mx = new RouteHost("mx.example.net", 25, FromMx: true);
        Assert.Null(RequireTls.UnvalidatedHost(new Route("dnslookup", [mx], Secure: true), mx));
        Assert.Null(RequireTls.UnvalidatedHost(new Route("route", [new RouteHost("relay.example", 25)], Secure: true), new RouteHost("relay.example", 25)));
        var implicitMx = new RouteHost("example.net", 25);
        Assert.Null(RequireTls.UnvalidatedHost(new Route("dnslookup", [implicitMx]), implicitMx));

        Assert.Equal("550 5.7.10 REQUIRETLS: encryption needed: the MX record naming mx.example.net is neither DNSSEC-validated nor confirmed by an MTA-STS policy",
            RequireTls.UnvalidatedHost(new Route("dnslookup", [mx]), mx));

        var policy = StsPolicy.Parse("version: STSv1\nmode: enforce\nmx: *.example.net\nmax_age: 86400\n");
        Assert.Null(RequireTls.UnvalidatedHost(new Route("dnslookup", [mx], Sts: new StsDiscovery("example.net", "id1", policy)), mx));
        var other = new RouteHost("mx.elsewhere.example", 25, FromMx: true);
        Assert.NotNull(RequireTls.UnvalidatedHost(new Route("dnslookup", [other], Sts: new StsDiscovery("example.net", "id1", policy)), other));
    }

    private static readonly SmtpReply Offering = new(250, ["mx.example.net", "PIPELINING", "REQUIRETLS"]);

    private static TlsSessionInfo Session(bool verified, bool dane = false) => new("TLS1.3", "TLS_AES_128_GCM_SHA256", [], verified, null, dane);

    [Fact]
    public void a_session_carries_requiretls_only_under_verified_tls_to_a_server_offering_it()
    {
        Assert.Null(RequireTls.Unmet(Session(verified: true), Offering));
        Assert.Null(RequireTls.Unmet(Session(verified: false, dane: true), Offering));
        Assert.Equal("550 5.7.10 REQUIRETLS: encryption needed: the session is not under TLS", RequireTls.Unmet(null, Offering));
        Assert.Equal("550 5.7.10 REQUIRETLS: encryption needed: the server's certificate was not verified",
            RequireTls.Unmet(Session(verified: false), Offering));
        Assert.Equal("550 5.7.30 REQUIRETLS support required: the server does not offer REQUIRETLS",
            RequireTls.Unmet(Session(verified: true), new SmtpReply(250, ["mx.example.net", "PIPELINING"])));
        Assert.StartsWith("550 5.7.30", RequireTls.Unmet(Session(verified: true), null), StringComparison.Ordinal);
        // The greeting line is the server's name, not a keyword.
        Assert.StartsWith("550 5.7.30", RequireTls.Unmet(Session(verified: true), new SmtpReply(250, ["REQUIRETLS"])), StringComparison.Ordinal);
    }
}
