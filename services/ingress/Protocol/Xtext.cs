using System.Text;

namespace Pipeline.Ingress.Protocol;

/// <summary>
/// xtext (RFC 3461 §4): printable ASCII but <c>+</c> and <c>=</c>, with <c>+XX</c> for any
/// other octet. Used by ENVID and ORCPT. Pure.
/// </summary>
public static class Xtext
{
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
