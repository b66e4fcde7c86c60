using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Tests.Protocol;

/// <summary>MAIL's REQUIRETLS parameter (RFC 8689 §2): no value, and only on a session under TLS.</summary>
public class MailParametersTests
{
    private static MailParameters? Parse(string argument, bool tls, out SmtpReply? error)
    {
        var path = PathArgument.Parse(argument, "FROM", allowNull: true, out var why);
        Assert.True(path is not null, why);
        return MailParameters.Parse(path.Parameters, prdrOffered: true, out error, tls);
    }

    [Theory]
    [InlineData("FROM:<a@b.example> REQUIRETLS")]
    [InlineData("FROM:<a@b.example> requiretls")]
    [InlineData("FROM:<> SIZE=10 RequireTls BODY=8BITMIME")]
    public void requiretls_under_tls_is_taken(string argument)
    {
        var parsed = Parse(argument, tls: true, out var error);
        Assert.True(parsed is not null, error?.ToString());
        Assert.True(parsed.RequireTls);
    }

    [Fact]
    public void a_mail_without_requiretls_does_not_require_it()
    {
        var parsed = Parse("FROM:<a@b.example> SIZE=10", tls: true, out _);
        Assert.False(parsed!.RequireTls);
    }

    [Fact]
    public void requiretls_in_the_clear_is_refused_as_encryption_needed()
    {
        Assert.Null(Parse("FROM:<a@b.example> REQUIRETLS", tls: false, out var error));
        Assert.Equal(MailParameters.RequireTlsNeedsTls, error);
        Assert.Equal((530, "5.7.10"), (error!.Code, error.Enhanced));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void requiretls_with_a_value_is_a_syntax_error(bool tls)
    {
        Assert.Null(Parse("FROM:<a@b.example> REQUIRETLS=YES", tls, out var error));
        Assert.Equal(new SmtpReply(501, "5.5.4", "invalid REQUIRETLS parameter"), error);
    }

    [Fact]
    public void requiretls_given_twice_is_refused_by_the_path_parser()
    {
        Assert.Null(PathArgument.Parse("FROM:<a@b.example> REQUIRETLS requiretls", "FROM", allowNull: true, out var why));
        Assert.Equal("duplicate parameter REQUIRETLS", why);
    }
}
