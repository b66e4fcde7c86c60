using System.Net;
using Pipeline.Delivery.Smtp;
using Pipeline.Delivery.Tls;

namespace Pipeline.Delivery.Tests.Smtp;

/// <summary>A route's credentials keep connections apart and never show their password.</summary>
public class SmtpCredentialsTests
{
    private static readonly IPEndPoint Server = new(IPAddress.Parse("192.0.2.25"), 587);

    private static readonly TlsHostPolicy Opportunistic = new(false, false, false, true, false, true, true, true, false);

    private static ConnectionKey Key(SmtpCredentials? auth) =>
        ConnectionKey.For(Server, null, "smarthost.example.com", Opportunistic, DaneRequirement.None, auth: auth);

    [Fact]
    public void a_connection_authenticated_as_one_user_is_not_shared_with_another_or_with_none()
    {
        Assert.Equal(Key(new SmtpCredentials("a", "p")), Key(new SmtpCredentials("a", "p")));
        Assert.NotEqual(Key(new SmtpCredentials("a", "p")), Key(new SmtpCredentials("b", "p")));
        Assert.NotEqual(Key(new SmtpCredentials("a", "p")), Key(null));
    }

    [Fact]
    public void the_text_of_credentials_and_of_a_key_holding_them_names_the_user_but_never_the_password()
    {
        var credentials = new SmtpCredentials("relay", "pa55-Secret");
        Assert.Equal("relay", credentials.ToString());
        Assert.DoesNotContain("pa55-Secret", Key(credentials).ToString(), StringComparison.Ordinal);
        Assert.Contains("relay", Key(credentials).ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "secret", "AuthUser and AuthPassword go together")]
    [InlineData("relay", null, "AuthUser and AuthPassword go together")]
    [InlineData("", "secret", "AuthUser must be a non-empty name")]
    [InlineData("relay", "sec\nret", "AuthPassword must be non-empty, without control characters")]
    public void malformed_route_credentials_are_refused_at_start_up_without_showing_the_password(string? user, string? password, string error)
    {
        var options = new DeliveryOptions
        {
            Routes = [new RouteOptions { Domains = ["*"], Hosts = ["192.0.2.25:587"], AuthUser = user, AuthPassword = password }],
        };
        var e = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Contains(error, e.Message, StringComparison.Ordinal);
        if (password is not null)
            Assert.DoesNotContain(password, e.Message, StringComparison.Ordinal);
    }
}
