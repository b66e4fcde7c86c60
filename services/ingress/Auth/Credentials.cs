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
    private readonly Dictionary<string, string> _users;

    /// <summary>Checks every entry's form.</summary>
    /// <exception cref="InvalidOperationException">An entry is in no known form.</exception>
    public Credentials(IngressOptions options)
    {
        _users = new Dictionary<string, string>(options.AuthUsers, StringComparer.Ordinal);
        foreach (var (name, stored) in _users)
        {
            if (!stored.StartsWith("{PLAIN}", StringComparison.Ordinal) && ParsePbkdf2(stored) is null)
                throw new InvalidOperationException($"Ingress:AuthUsers:{name}: expected {{PBKDF2-SHA256}}iterations$salt$hash or {{PLAIN}}password");
        }
    }

    /// <summary>True when any user is configured: AUTH can be offered.</summary>
    public bool Any => _users.Count > 0;

    /// <summary>True when <paramref name="password"/> is <paramref name="user"/>'s.</summary>
    public bool Verify(string user, string password)
    {
        if (!_users.TryGetValue(user, out var stored))
        {
            // Spend the same time as for a real user, so that timing does not tell names apart.
            CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(password)), new byte[32]);
            return false;
        }

        if (stored.StartsWith("{PLAIN}", StringComparison.Ordinal))
            return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(stored[7..]), Encoding.UTF8.GetBytes(password));
        var (iterations, salt, hash) = ParsePbkdf2(stored)!.Value;
        var computed = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, hash.Length);
        return CryptographicOperations.FixedTimeEquals(computed, hash);
    }

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
