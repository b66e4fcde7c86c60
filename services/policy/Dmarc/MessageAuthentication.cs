using MimeKit;
using Pipeline.Policy.Dkim;
using Pipeline.Policy.Spf;

namespace Pipeline.Policy.Dmarc;

/// <summary>
/// Everything known about one message's authentication at the end of data: SPF, every DKIM
/// signature, DMARC, as Exim's variables (<c>$dmarc_status</c> and the others) and as the
/// Authentication-Results header of RFC 8601.
/// </summary>
/// <param name="Spf">SPF's result for the SPF identity.</param>
/// <param name="SpfIdentity">The identity SPF checked: the sender, or postmaster@helo for the null sender.</param>
/// <param name="Dkim">Each signature's outcome.</param>
/// <param name="FromDomain">The RFC5322.From domain, or null when the message has not exactly one From address.</param>
/// <param name="Dmarc">DMARC's outcome, or null when it was not evaluated (no From, or turned off).</param>
/// <param name="DmarcOff">True when a rule turned DMARC off (<c>control = dmarc_disable_verify</c>).</param>
public sealed record MessageAuthentication(SpfResult Spf, string SpfIdentity, IReadOnlyList<DkimSignatureOutcome> Dkim, string? FromDomain,
    DmarcOutcome? Dmarc, bool DmarcOff)
{
    /// <summary>The RFC5322.From domain when the message has exactly one From field with exactly one address (RFC 7489 §6.6.1).</summary>
    public static string? FromDomainOf(MimeMessage message) =>
        message.Headers.Count(h => h.Id == HeaderId.From) == 1 && message.From.Mailboxes.ToList() is [var only] && only.Domain.Length > 0
            ? only.Domain.ToLowerInvariant()
            : null;

    /// <summary>Exim's <c>$dmarc_status</c>: accept, reject, quarantine, none, norecord, nofrom, temperror or off.</summary>
    public string DmarcStatus => DmarcOff ? "off"
        : FromDomain is null ? "nofrom"
        : Dmarc!.Result switch
        {
            "pass" => "accept",
            "fail" => Dmarc.Disposition,
            "temperror" => "temperror",
            _ => "norecord",
        };

    /// <summary>Exim's <c>$dmarc_status_text</c>.</summary>
    public string DmarcStatusText => DmarcStatus switch
    {
        "accept" => "Permit: DMARC verification passed",
        "reject" => "Reject: DMARC verification failed and the domain's policy is reject",
        "quarantine" => "Quarantine: DMARC verification failed and the domain's policy is quarantine",
        "none" => "None: DMARC verification failed and the domain's policy is none",
        "norecord" => "No DMARC record for the From domain or its organizational domain",
        "nofrom" => "No usable From address: not exactly one",
        "temperror" => "Temporary error looking up the DMARC record",
        _ => "DMARC verification is off",
    };

    /// <summary>Exim's <c>$dmarc_domain_policy</c>: none, quarantine or reject; empty on any error.</summary>
    public string DmarcDomainPolicy => Dmarc?.AppliedPolicy ?? "";

    /// <summary>Exim's <c>$dmarc_used_domain</c>: the domain whose record applied.</summary>
    public string DmarcUsedDomain => Dmarc?.PolicyDomain ?? FromDomain ?? "";

    /// <summary>The DMARC result as RFC 8601 writes it, or null when DMARC was not evaluated.</summary>
    public string? DmarcResinfo => DmarcOff ? null
        : FromDomain is null ? "dmarc=permerror (no single From address)"
        : Dmarc!.Result switch
        {
            "none" => $"dmarc=none header.from={Pvalue(FromDomain)}",
            "temperror" => $"dmarc=temperror header.from={Pvalue(FromDomain)}",
            var result => $"dmarc={result} (p={Dmarc.AppliedPolicy} dis={Dmarc.Disposition}) header.from={Pvalue(FromDomain)}",
        };

    /// <summary>The whole <c>Authentication-Results:</c> header (RFC 8601 §2.2), folded.</summary>
    public string Header(string authservId)
    {
        var parts = new List<string>
        {
            $"spf={Spf.Name()} smtp.mailfrom={Pvalue(SpfIdentity)}",
        };
        parts.AddRange(Dkim.Count == 0
            ? ["dkim=none"]
            : Dkim.Select(d => $"dkim={d.Result} header.d={Pvalue(d.Domain)} header.s={Pvalue(d.Selector)}"));
        if (DmarcResinfo is { } dmarc)
            parts.Add(dmarc);
        return $"Authentication-Results: {authservId};\r\n\t" + string.Join(";\r\n\t", parts);
    }

    // A property value (RFC 8601 §2.2 pvalue) as written: an address or domain as it is when it
    // is made of atext, dots and one '@'; anything else, such as a signature's d= carrying
    // blanks and "dkim=pass", a quoted-string, so that no value can add a result of its own.
    private static string Pvalue(string value)
    {
        if (value.Length > 0 && value.Count(c => c == '@') <= 1
            && value.All(c => char.IsAsciiLetterOrDigit(c) || c == '.' || c == '@' || "!#$%&'*+-/=?^_`{|}~".Contains(c)))
            return value;
        var quoted = new System.Text.StringBuilder("\"");
        foreach (var c in value.Where(c => !char.IsControl(c)))
            quoted.Append(c is '"' or '\\' ? "\\" : "").Append(c);
        return quoted.Append('"').ToString();
    }
}
