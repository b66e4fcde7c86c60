namespace Pipeline.Delivery.Protocol;

/// <summary>
/// A domain's MTA-STS TXT record at <c>_mta-sts.domain</c> (RFC 8461 §3.1):
/// <c>v=STSv1; id=20160831085700Z;</c>. The id changes whenever the policy does, so a policy
/// cached under the same id need not be fetched again. Pure: the lookup is the caller's.
/// </summary>
/// <param name="Id">The policy's id: 1 to 32 letters and digits.</param>
public sealed record StsRecord(string Id)
{
    /// <summary>
    /// The record among a name's TXT records: those that do not begin with <c>v=STSv1;</c> are
    /// discarded, and unless exactly one is left, or it is malformed, the domain has no
    /// available policy (§3.1). Null then, with <paramref name="problem"/> saying why.
    /// </summary>
    public static StsRecord? Select(IEnumerable<string> records, out string? problem)
    {
        var candidates = records.Where(r => r.StartsWith("v=STSv1;", StringComparison.Ordinal)).ToList();
        if (candidates.Count != 1)
        {
            problem = candidates.Count == 0 ? "no TXT record begins with v=STSv1;" : $"{candidates.Count} TXT records begin with v=STSv1;";
            return null;
        }

        try
        {
            problem = null;
            return Parse(candidates[0]);
        }
        catch (FormatException e)
        {
            problem = e.Message;
            return null;
        }
    }

    /// <summary>Parses one record: <c>v=STSv1</c>, then <c>;</c>-separated fields with one <c>id</c>; unknown fields are ignored.</summary>
    /// <exception cref="FormatException">The record is malformed.</exception>
    public static StsRecord Parse(string text)
    {
        // sts-sep = *WSP ";" *WSP, and a trailing separator is allowed.
        var fields = text.Split(';').Select(f => f.Trim(' ', '\t')).ToList();
        if (fields.Count > 1 && fields[^1].Length == 0)
            fields.RemoveAt(fields.Count - 1);
        if (fields[0] != "v=STSv1")
            throw new FormatException($"'{text}' does not begin with v=STSv1");
        if (fields.Count < 2)
            throw new FormatException($"'{text}' has no field after its version");

        string? id = null;
        foreach (var field in fields.Skip(1))
        {
            var equals = field.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !IsExtensionName(field.AsSpan(0, equals)) || !IsExtensionValue(field.AsSpan(equals + 1)))
                throw new FormatException($"'{field}' is not a field (name=value)");
            if (!field.StartsWith("id=", StringComparison.Ordinal))
                continue;
            if (id is not null)
                throw new FormatException($"'{text}' has more than one id");
            id = field[3..];
            if (id.Length is 0 or > 32 || !id.All(char.IsAsciiLetterOrDigit))
                throw new FormatException($"id '{id}' is not 1 to 32 letters and digits");
        }

        return new StsRecord(id ?? throw new FormatException($"'{text}' has no id"));
    }

    // sts-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
    private static bool IsExtensionName(ReadOnlySpan<char> name)
    {
        if (name.Length is 0 or > 32 || !char.IsAsciiLetterOrDigit(name[0]))
            return false;
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-' or '.'))
                return false;
        }

        return true;
    }

    // sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E): visible characters but ";" and "=".
    private static bool IsExtensionValue(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty)
            return false;
        foreach (var c in value)
        {
            if (c is < '!' or > '~' or ';' or '=')
                return false;
        }

        return true;
    }
}
