using System.Text;
using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Tests.Protocol;

public class SaslArgumentTests
{
    [Theory]
    [InlineData("PLAIN", "PLAIN", null)]
    [InlineData("plain AGEAYg==", "PLAIN", "AGEAYg==")]
    [InlineData("LOGIN =", "LOGIN", "=")]
    [InlineData("", "", null)]
    public void splits_the_mechanism_and_the_initial_response(string argument, string mechanism, string? initial) =>
        Assert.Equal(new SaslArgument(mechanism, initial), SaslArgument.Parse(argument));

    [Fact]
    public void decodes_base64_and_the_empty_response()
    {
        Assert.Equal("user", SaslArgument.Decode("dXNlcg=="));
        Assert.Equal("", SaslArgument.Decode("="));
        Assert.Null(SaslArgument.Decode("not base64!"));
        Assert.True(SaslArgument.IsCancel("*"));
    }

    [Theory]
    [InlineData("\0alice\0secret", "alice", "secret")]
    [InlineData("alice\0alice\0secret", "alice", "secret")]
    [InlineData("\0alice\0", "alice", "")]
    public void reads_a_plain_response(string decoded, string user, string password) =>
        Assert.Equal((user, password), SaslArgument.Plain(decoded));

    [Theory]
    [InlineData("alice\0secret")]            // two fields
    [InlineData("\0\0secret")]               // no user
    [InlineData("bob\0alice\0secret")]       // acting for someone else
    [InlineData("\0alice\0se\0cret")]        // a NUL in the password
    public void refuses_a_malformed_plain_response(string decoded) => Assert.Null(SaslArgument.Plain(decoded));

    [Fact]
    public void a_plain_response_round_trips_through_base64()
    {
        var wire = Convert.ToBase64String(Encoding.UTF8.GetBytes("\0jörg\0pässwörd"));
        Assert.Equal(("jörg", "pässwörd"), SaslArgument.Plain(SaslArgument.Decode(wire)!));
    }
}
