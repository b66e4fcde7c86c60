namespace Pipeline.Fuzz;

/// <summary>A property a target checks was false for the input: the fuzzer records it as a crash.</summary>
internal sealed class PropertyViolation(string message) : Exception(message);

internal static class Property
{
    /// <summary>Throws <see cref="PropertyViolation"/> unless <paramref name="holds"/>.</summary>
    public static void Require(bool holds, string what)
    {
        if (!holds)
            throw new PropertyViolation(what);
    }

    /// <summary>A size, 1 to 16, to cut the input into parts, taken from it so that a run is reproducible.</summary>
    public static int PartSize(byte[] input) => input.Length == 0 ? 1 : 1 + (input[0] % 16);
}
