using System.Globalization;

namespace Pipeline.Ingress.Protocol;

/// <summary>The argument of BDAT (RFC 3030 §2): <c>chunk-size [SP end-marker]</c>, where chunk-size is <c>1*DIGIT</c> and the marker <c>LAST</c>. Pure.</summary>
/// <param name="Size">The octets that follow the command line.</param>
/// <param name="Last">True for the last chunk.</param>
public sealed record BdatArgument(long Size, bool Last)
{
    /// <summary>The reply to an argument that cannot be parsed: without a size the chunk cannot be skipped.</summary>
    public const string Syntax = "BDAT size [LAST]";

    /// <summary>Parses <paramref name="argument"/>; null when it is not <c>size [LAST]</c>.</summary>
    public static BdatArgument? Parse(string argument)
    {
        var words = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length is < 1 or > 2 || words[0].Length > 18
            || !long.TryParse(words[0], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
            || (words.Length == 2 && !words[1].Equals("LAST", StringComparison.OrdinalIgnoreCase)))
            return null;
        return new BdatArgument(size, words.Length == 2);
    }
}
