using System.Text;

namespace Pipeline.Ingress.Protocol;

/// <summary>
/// The argument of AUTH (RFC 4954 §4): a mechanism name and an optional initial response, and
/// the responses of the mechanisms ingress offers, PLAIN (RFC 4616) and LOGIN. Pure.
/// </summary>
/// <param name="Mechanism">The mechanism, upper-cased.</param>
/// <param name="InitialResponse">The initial response as sent (base64, or <c>=</c> for an empty one), or null.</param>
public sealed record SaslArgument(string Mechanism, string? InitialResponse)
{
    /// <summary>Splits the argument of AUTH.</summary>
    public static SaslArgument Parse(string argument)
    {
        var words = argument.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        return new SaslArgument(words.Length > 0 ? words[0].ToUpperInvariant() : "", words.Length > 1 ? words[1].Trim() : null);
    }

    /// <summary>True when the client gave up (RFC 4954 §4: a response of <c>*</c>).</summary>
    public static bool IsCancel(string response) => response == "*";

    /// <summary>A base64 response as UTF-8 text; null when it is not base64.</summary>
    public static string? Decode(string response)
    {
        if (response == "=")
            return "";
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(response));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// A PLAIN response (RFC 4616 §2: <c>[authzid] NUL authcid NUL passwd</c>, decoded): the
    /// user and password; null when malformed, the user empty, or an authorization identity
    /// other than the user asked for (ingress acts for no one else).
    /// </summary>
    public static (string User, string Password)? Plain(string decoded)
    {
        var parts = decoded.Split('\0');
        if (parts.Length != 3 || parts[1].Length == 0 || (parts[0].Length > 0 && parts[0] != parts[1]))
            return null;
        return (parts[1], parts[2]);
    }
}
