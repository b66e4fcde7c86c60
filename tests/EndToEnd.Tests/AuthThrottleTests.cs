using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>The TLS pipeline allowing 3 failed AUTH attempts per client address in 10 minutes.</summary>
public sealed class AuthThrottleFixture : TlsFixture
{
    protected override Dictionary<string, string> More => new() { ["Ingress:AuthFailuresMax"] = "3" };
}

/// <summary>Password guessing over AUTH, with swaks as the guesser, each guess on its own connection.</summary>
public sealed class auth_brute_force(AuthThrottleFixture fixture) : IClassFixture<AuthThrottleFixture>
{
    private Task<Swaks.Result> LoginAsync(string password, string from = "127.0.0.1") =>
        Swaks.SendAsync(fixture.Settings.SmtpPort, null, "--local-interface", from, "--tls", "--auth", "PLAIN", "--auth-user", "alice",
            "--auth-password", password, "--from", "s@origin.test", "--to", "x@elsewhere.test");

    [Fact]
    public async Task stops_an_address_after_its_failures_even_with_the_right_password_and_spares_the_others()
    {
        var guesses = new[] { "guess-one", "guess-two", "guess-three" };
        foreach (var guess in guesses)
            Assert.Contains("<~* 535 5.7.8 Incorrect authentication data", (await LoginAsync(guess)).Transcript, StringComparison.Ordinal);

        // Now not even the right password is looked at: the address waits for its failures to age.
        var blocked = await LoginAsync("wonderland");
        Assert.Contains("<~* 454 4.7.0 Too many failed authentication attempts, try again later", blocked.Transcript, StringComparison.Ordinal);
        Assert.Null(blocked.MessageId);

        var other = await LoginAsync("wonderland", from: "127.0.0.2");
        Assert.Contains("<~  235 2.7.0 Authentication succeeded", other.Transcript, StringComparison.Ordinal);
        Assert.NotNull(other.MessageId);

        foreach (var guess in guesses)
            Assert.DoesNotContain(guess, fixture.Pipeline.Output, StringComparison.Ordinal);
    }
}
