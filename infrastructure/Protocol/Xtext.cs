using System.Globalization;
using System.Text;

namespace Pipeline.Infrastructure.Protocol;

/// <summary>
/// xtext (RFC 3461 §4): how the DSN parameters ENVID and ORCPT travel in SMTP. Printable ASCII
/// but <c>+</c> and <c>=</c> stands for itself; any other octet is <c>+XX</c>, two upper-case
/// hex digits. Ingress decodes what clients send; delivery encodes what it passes on. Pure.
/// </summary>
public static class Xtext
{
    /// <summary>Encodes <paramref name="text"/> (as UTF-8 bytes).</summary>
    public static string Encode(string text)
    {
        var encoded = new StringBuilder(text.Length);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (b is >= 33 and <= 126 and not (byte)'+' and not (byte)'=')
                encoded.Append((char)b);
            else
                encoded.Append('+').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }

        return encoded.ToString();
    }

    /// <summary>Decodes <paramref name="text"/>; null when it is not valid xtext.</summary>
    public static string? Decode(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '+')
            {
                if (i + 2 >= text.Length || !IsUpperHex(text[i + 1]) || !IsUpperHex(text[i + 2]))
                    return null;
                bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (c is >= '!' and <= '~' && c != '=')
            {
                bytes.Add((byte)c);
            }
            else
            {
                return null;
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsUpperHex(char c) => char.IsAsciiDigit(c) || c is >= 'A' and <= 'F';
}
