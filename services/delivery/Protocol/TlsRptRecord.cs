namespace Pipeline.Delivery.Protocol;

/// <summary>Why a TXT record is not a usable TLS reporting policy.</summary>
public enum TlsRptRecordError
{
    /// <summary>It does not start with <c>v=TLSRPTv1</c> (RFC 8460 §3): not a TLSRPT record at all.</summary>
    NotTlsRpt,

    /// <summary>A field is not <c>name=value</c>, or its name or value has characters §3 does not allow.</summary>
    MalformedField,

    /// <summary>No <c>rua</c> field.</summary>
    MissingRua,

    /// <summary>More than one <c>rua</c> field.</summary>
    DuplicateRua,

    /// <summary>A <c>rua</c> URI is empty, not absolute, or not <c>mailto:</c> or <c>https:</c> (§3: the two schemes reports go by).</summary>
    BadRua,

    /// <summary>The domain publishes none, or more than one, TLSRPT record (§3: it then does not implement TLSRPT).</summary>
    NotExactlyOne,
}

/// <summary>
/// An SMTP TLS Reporting policy (RFC 8460 §3), the TXT record at <c>_smtp._tls.&lt;domain&gt;</c>:
/// <c>v=TLSRPTv1; rua=mailto:reports@example.com,https://reports.example.com/tlsrpt</c>. The
/// version comes first, case-sensitively; fields are separated by <c>;</c> with optional white
/// space and a trailing <c>;</c> allowed; unknown extension fields are ignored; <c>rua</c> is
/// required and lists <c>mailto:</c> and <c>https:</c> URIs separated by commas (a comma inside a
/// URI must be percent-encoded). Pure: the lookup is the caller's. Exposure: the text comes from
/// any domain's DNS; nothing here is trusted beyond its syntax, and the URIs are only ever used
/// as destinations of reports about that domain.
/// </summary>
/// <param name="Rua">The reporting URIs, in the record's order: <c>mailto:</c> addresses and <c>https:</c> endpoints.</param>
public sealed record TlsRptRecord(IReadOnlyList<Uri> Rua)
{
    /// <summary>The DNS name a domain's policy is published at (§3).</summary>
    public static string NameFor(string domain) => $"_smtp._tls.{domain.TrimEnd('.')}";

    /// <summary>True when <paramref name="text"/> claims to be a TLSRPT record: it starts with <c>v=TLSRPTv1</c>.</summary>
    public static bool IsTlsRpt(string text)
    {
        var first = text.Split(';', 2)[0].Trim(' ', '\t');
        return first == "v=TLSRPTv1";
    }

    /// <summary>
    /// Chooses among the TXT records at <see cref="NameFor"/>: those that do not start with
    /// <c>v=TLSRPTv1</c> are discarded, and exactly one must remain (§3).
    /// </summary>
    /// <param name="texts">Each TXT record's strings, concatenated.</param>
    /// <param name="error">Why there is no policy, when there is none.</param>
    public static TlsRptRecord? Select(IEnumerable<string> texts, out TlsRptRecordError? error)
    {
        var candidates = texts.Where(IsTlsRpt).Take(2).ToList();
        if (candidates.Count != 1)
        {
            error = TlsRptRecordError.NotExactlyOne;
            return null;
        }

        return Parse(candidates[0], out error);
    }

    /// <summary>Parses one TXT record; null with <paramref name="error"/> when it is not a usable policy.</summary>
    public static TlsRptRecord? Parse(string text, out TlsRptRecordError? error)
    {
        error = null;
        if (!IsTlsRpt(text))
            return Fail(out error, TlsRptRecordError.NotTlsRpt);

        List<Uri>? rua = null;
        var fields = text.Split(';');
        for (var i = 1; i < fields.Length; i++)
        {
            var field = fields[i].Trim(' ', '\t');
            if (field.Length == 0)
            {
                // Only the last field may be empty: the optional trailing ';' (§3).
                if (i == fields.Length - 1)
                    continue;
                return Fail(out error, TlsRptRecordError.MalformedField);
            }

            var equals = field.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
                return Fail(out error, TlsRptRecordError.MalformedField);
            var name = field[..equals];
            var value = field[(equals + 1)..];
            if (name == "rua")
            {
                if (rua is not null)
                    return Fail(out error, TlsRptRecordError.DuplicateRua);
                rua = [];
                foreach (var item in value.Split(','))
                {
                    if (ReportUri(item.Trim(' ', '\t')) is not { } uri)
                        return Fail(out error, TlsRptRecordError.BadRua);
                    rua.Add(uri);
                }
            }
            else if (!IsExtensionName(name) || !IsExtensionValue(value))
            {
                return Fail(out error, TlsRptRecordError.MalformedField);
            }
        }

        return rua is null ? Fail(out error, TlsRptRecordError.MissingRua) : new TlsRptRecord(rua);
    }

    // A mailto: with an address, or an absolute https: URL (§3, "tlsrpt-uri").
    private static Uri? ReportUri(string text)
    {
        if (text.Length == 0 || !Uri.TryCreate(text, UriKind.Absolute, out var uri))
            return null;
        if (uri.Scheme == Uri.UriSchemeMailto)
            return text.Length > "mailto:".Length && text.Contains('@', StringComparison.Ordinal) ? uri : null;
        return uri.Scheme == Uri.UriSchemeHttps && uri.Host.Length > 0 ? uri : null;
    }

    // tlsrpt-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
    private static bool IsExtensionName(string name) =>
        name.Length is > 0 and <= 32 && char.IsAsciiLetterOrDigit(name[0])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    // tlsrpt-ext-value = 1*(%x21-3A / %x3C / %x3E-7E): visible ASCII but ';' and '='.
    private static bool IsExtensionValue(string value) =>
        value.Length > 0 && value.All(c => c is >= '!' and <= '~' and not ';' and not '=');

    private static TlsRptRecord? Fail(out TlsRptRecordError? error, TlsRptRecordError reason)
    {
        error = reason;
        return null;
    }
}
