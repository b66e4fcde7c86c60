using System.Security.Cryptography;

namespace Pipeline.Infrastructure.Store;

/// <summary>
/// Message ids in the shape of Exim 4.97's: <c>TTTTTT-RRRRRRRRRRR-FFFF</c>, base 62: the
/// time in seconds, 64 random bits (unique across processes without coordination), and the
/// fraction of the second. Ids sort by time to the second; they are safe in file names and URLs.
/// </summary>
public static class MessageIds
{
    private const string Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>A new id for a message received at <paramref name="now"/>.</summary>
    public static string New(DateTimeOffset now)
    {
        var random = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        var fraction = (ulong)(now.ToUnixTimeMilliseconds() % 1000 * 1000 + now.Microsecond);
        return $"{Base62((ulong)now.ToUnixTimeSeconds(), 6)}-{Base62(random, 11)}-{Base62(fraction, 4)}";
    }

    private static string Base62(ulong value, int width)
    {
        Span<char> chars = stackalloc char[width];
        for (var i = width - 1; i >= 0; i--)
        {
            chars[i] = Digits[(int)(value % 62)];
            value /= 62;
        }

        return new string(chars);
    }
}
