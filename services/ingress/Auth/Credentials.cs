using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Ingress.Auth;

/// <summary>
/// The users that may authenticate (<c>Ingress:AuthUsers</c>: name → password). A password is
/// stored as <c>{PBKDF2-SHA256}iterations$salt-hex$hash-hex</c> (make one with
/// <c>openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt pass:SECRET -kdfopt hexsalt:SALT -kdfopt iter:100000 PBKDF2</c>,
/// whose colon-separated output may be pasted as it is),
/// or, for tests only, <c>{PLAIN}secret</c>. Comparisons take constant time; nothing here is logged.
/// </summary>
public sealed class Credentials
{
    /// <summary>A key derivation: PBKDF2 with HMAC-SHA256 of a password and salt, at an iteration count, to a length.</summary>
    public delegate byte[] KeyDerivation(byte[] password, byte[] salt, int iterations, int length);

    // What an unknown user is checked against: a hash no password gives, at the iteration
    // count of the most expensive configured hash, so that a wrong name costs what a wrong
    // password costs and timing does not tell which names exist.
    private static readonly byte[] DummySalt = RandomNumberGenerator.GetBytes(16);

    private readonly Dictionary<string, string> _users;
    private readonly KeyDerivation _derive;
    private readonly int _maxIterations;

    /// <summary>Checks every entry's form.</summary>
    /// <param name="options">The options holding <c>Ingress:AuthUsers</c>.</param>
    /// <param name="derive">The key derivation; PBKDF2-SHA256 unless a test counts its calls.</param>
    /// <exception cref="InvalidOperationException">An entry is in no known form.</exception>
    public Credentials(IngressOptions options, KeyDerivation? derive = null)
    {
        _derive = derive ?? Pbkdf2Sha256;
        _users = new Dictionary<string, string>(options.AuthUsers, StringComparer.Ordinal);
        foreach (var (name, stored) in _users)
        {
            if (stored.StartsWith("{PLAIN}", StringComparison.Ordinal))
                continue;
            var pbkdf2 = ParsePbkdf2(stored)
                ?? throw new InvalidOperationException($"Ingress:AuthUsers:{name}: expected {{PBKDF2-SHA256}}iterations$salt$hash or {{PLAIN}}password");
            _maxIterations = Math.Max(_maxIterations, pbkdf2.Iterations);
        }
    }

    /// <summary>True when any user is configured: AUTH can be offered.</summary>
    public bool Any => _users.Count > 0;

    /// <summary>
    /// True when <paramref name="password"/> is <paramref name="user"/>'s. Every answer costs
    /// the derivations of the most expensive configured hash, whether the user exists, has a
    /// cheaper hash or a <c>{PLAIN}</c> password: the time taken tells nothing.
    /// </summary>
    public bool Verify(string user, string password)
    {
        var secret = Encoding.UTF8.GetBytes(password);
        if (!_users.TryGetValue(user, out var stored))
        {
            Pad(secret, _maxIterations);
            return false;
        }

        if (stored.StartsWith("{PLAIN}", StringComparison.Ordinal))
        {
            Pad(secret, _maxIterations);
            return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(stored[7..]), secret);
        }

        var (iterations, salt, hash) = ParsePbkdf2(stored)!.Value;
        var computed = _derive(secret, salt, iterations, hash.Length);
        Pad(secret, _maxIterations - iterations);
        return CryptographicOperations.FixedTimeEquals(computed, hash);
    }

    // Spends the given iterations on a derivation whose result is thrown away.
    private void Pad(byte[] secret, int iterations)
    {
        if (iterations > 0)
            CryptographicOperations.FixedTimeEquals(_derive(secret, DummySalt, iterations, 32), new byte[32]);
    }

    private static byte[] Pbkdf2Sha256(byte[] password, byte[] salt, int iterations, int length) =>
        Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, length);

    private static (int Iterations, byte[] Salt, byte[] Hash)? ParsePbkdf2(string stored)
    {
        const string prefix = "{PBKDF2-SHA256}";
        if (!stored.StartsWith(prefix, StringComparison.Ordinal))
            return null;
        var parts = stored[prefix.Length..].Split('$');
        try
        {
            return parts.Length == 3 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) && iterations > 0
                ? (iterations, Convert.FromHexString(parts[1].Replace(":", "", StringComparison.Ordinal)),
                    Convert.FromHexString(parts[2].Replace(":", "", StringComparison.Ordinal)))
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
