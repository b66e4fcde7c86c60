using System.Net;
using Pipeline.Delivery.Smtp;
using Pipeline.Delivery.Tls;
using Pipeline.Infrastructure.Dns;

namespace Pipeline.Delivery.Tests.Smtp;

/// <summary>
/// What decides whether a connection may carry another delivery: the same server reached by
/// the same name from the same interface, under the same TLS options and DANE requirement.
/// </summary>
public class ConnectionKeyTests
{
    private static readonly IPEndPoint Server = new(IPAddress.Parse("192.0.2.25"), 25);

    private static readonly TlsHostPolicy Opportunistic = new(false, false, false, true, false, true, true, true, false);

    private static readonly TlsaRecord Ee = new(3, 1, 1, Convert.FromHexString(new string('A', 64)));

    private static readonly TlsaRecord Ta = new(2, 0, 1, Convert.FromHexString(new string('B', 64)));

    private static ConnectionKey Key(string name = "mx.example.com", TlsHostPolicy? tls = null, DaneRequirement? dane = null,
        IPAddress? local = null, IPEndPoint? server = null) =>
        ConnectionKey.For(server ?? Server, local, name, tls ?? Opportunistic, dane ?? DaneRequirement.None);

    [Fact]
    public void the_same_server_name_interface_and_security_share()
    {
        Assert.Equal(Key(), Key());
        Assert.Equal(Key("MX.Example.COM."), Key());
        Assert.Equal(Key(dane: DaneRequirement.Authenticate([Ee, Ta])), Key(dane: DaneRequirement.Authenticate([Ta, Ee])));
        Assert.Equal(Key().GetHashCode(), Key("mx.example.com.").GetHashCode());
    }

    [Fact]
    public void another_name_on_the_same_address_never_shares()
    {
        Assert.NotEqual(Key("mx.example.com"), Key("mx-bad.example.com"));
    }

    [Fact]
    public void other_tlsa_records_or_their_absence_never_share()
    {
        Assert.NotEqual(Key(dane: DaneRequirement.Authenticate([Ee])), Key(dane: DaneRequirement.Authenticate([Ta])));
        Assert.NotEqual(Key(dane: DaneRequirement.Authenticate([Ee])), Key());
        Assert.NotEqual(Key(dane: DaneRequirement.TlsOnly), Key());
    }

    [Fact]
    public void other_tls_requirements_never_share()
    {
        Assert.NotEqual(Key(tls: Opportunistic with { RequireOcsp = true, Require = true }), Key());
        Assert.NotEqual(Key(tls: Opportunistic with { Verify = true }), Key());
        Assert.NotEqual(Key(tls: Opportunistic with { RequireDane = true }), Key());
        Assert.NotEqual(Key(tls: Opportunistic with { Require = true }), Key());
    }

    [Fact]
    public void another_interface_or_port_never_shares()
    {
        Assert.NotEqual(Key(local: IPAddress.Parse("127.0.0.2")), Key(local: IPAddress.Parse("127.0.0.3")));
        Assert.NotEqual(Key(server: new IPEndPoint(Server.Address, 2525)), Key());
    }

    [Fact]
    public void dane_leaves_tls_required_and_never_avoided()
    {
        var avoid = Opportunistic with { Avoid = true };
        Assert.Equal((false, true), (Key(tls: avoid, dane: DaneRequirement.TlsOnly).EffectiveTls.Avoid, Key(tls: avoid, dane: DaneRequirement.TlsOnly).EffectiveTls.Require));
        Assert.Equal(avoid, Key(tls: avoid).EffectiveTls);
    }
}
