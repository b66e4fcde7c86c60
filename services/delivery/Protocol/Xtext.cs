using System.Text;

namespace Pipeline.Delivery.Protocol;

/// <summary>xtext (RFC 3461 §4): how ENVID travels in MAIL; <c>+XX</c> for <c>+</c>, <c>=</c> and anything outside printable ASCII.</summary>
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
                encoded.Append('+').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return encoded.ToString();
    }
}
