namespace Pipeline.Contracts.Events;

/// <summary>One envelope recipient as RCPT gave it.</summary>
/// <param name="Address">The address, <c>local_part@domain</c>.</param>
/// <param name="LocalPart">The local part (<c>$local_part</c>).</param>
/// <param name="Domain">The domain (<c>$domain</c>), lower-cased.</param>
/// <param name="Notify">The DSN NOTIFY parameter (RFC 3461 §4.1): <c>NEVER</c>, or some of <c>SUCCESS,FAILURE,DELAY</c>; null when not given.</param>
/// <param name="OriginalRecipient">The DSN ORCPT parameter (RFC 3461 §4.2), <c>addr-type;xtext</c>; null when not given.</param>
public sealed record Recipient(string Address, string LocalPart, string Domain, string? Notify = null, string? OriginalRecipient = null)
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
