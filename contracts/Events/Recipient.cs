namespace Pipeline.Contracts.Events;

/// <summary>One envelope recipient as RCPT gave it.</summary>
/// <param name="Address">The address, <c>local_part@domain</c>.</param>
/// <param name="LocalPart">The local part (<c>$local_part</c>).</param>
/// <param name="Domain">The domain (<c>$domain</c>), lower-cased.</param>
public sealed record Recipient(string Address, string LocalPart, string Domain)
{
    /// <summary>Splits an address at its last <c>@</c>.</summary>
    public static Recipient Parse(string address)
    {
        var at = address.LastIndexOf('@');
        return at < 0
            ? new Recipient(address, address, "")
            : new Recipient(address, address[..at], address[(at + 1)..].ToLowerInvariant());
    }
}
