using System.Security.Cryptography;
using Pipeline.Ingress;
using Pipeline.Ingress.Auth;

namespace Pipeline.Ingress.Tests.Auth;

/// <summary>
/// An unknown user name costs what a wrong password costs: the same PBKDF2 derivations, with
/// the same iteration counts, so that AUTH's timing does not tell which names exist.
/// </summary>
public class CredentialsTests
{
    private sealed class CountingDerivation
    {
        public List<int> Iterations { get; } = [];

        public byte[] Derive(byte[] password, byte[] salt, int iterations, int length)
        {
            Iterations.Add(iterations);
            return Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, length);
        }
    }

    private static string Pbkdf2(string password, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(8);
        var hash = Rfc2898DeriveBytes.Pbkdf2(System.Text.Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        return $"{{PBKDF2-SHA256}}{iterations}${Convert.ToHexString(salt)}${Convert.ToHexString(hash)}";
    }

    private static (Credentials Credentials, CountingDerivation Counter) Make(params (string User, string Stored)[] users)
    {
        var options = new IngressOptions { AuthUsers = users.ToDictionary(u => u.User, u => u.Stored) };
        var counter = new CountingDerivation();
        return (new Credentials(options, counter.Derive), counter);
    }

    private static List<int> Run(CountingDerivation counter, Action verify)
    {
        counter.Iterations.Clear();
        verify();
        return [.. counter.Iterations];
    }

    [Fact]
    public void an_unknown_user_runs_the_same_derivation_as_a_known_user_with_a_wrong_password()
    {
        var (credentials, counter) = Make(("alice", Pbkdf2("wonderland", 1000)));
        var known = Run(counter, () => Assert.False(credentials.Verify("alice", "wrong")));
        var unknown = Run(counter, () => Assert.False(credentials.Verify("mallory", "wrong")));
        Assert.Equal([1000], known);
        Assert.Equal(known, unknown);
        Assert.True(credentials.Verify("alice", "wonderland"));
    }

    [Fact]
    public void every_answer_costs_the_iterations_of_the_most_expensive_hash()
    {
        var (credentials, counter) = Make(("alice", Pbkdf2("a", 1000)), ("bob", Pbkdf2("b", 3000)), ("carol", "{PLAIN}c"));
        foreach (var (user, password) in new[] { ("alice", "x"), ("bob", "x"), ("carol", "x"), ("nobody", "x"), ("alice", "a"), ("carol", "c") })
            Assert.Equal(3000, Run(counter, () => credentials.Verify(user, password)).Sum());
        Assert.True(credentials.Verify("alice", "a"));
        Assert.True(credentials.Verify("bob", "b"));
        Assert.True(credentials.Verify("carol", "c"));
        Assert.False(credentials.Verify("bob", "a"));
    }
}
