namespace Pipeline.Delivery.Tls;

/// <summary>
/// The names SMTP TLS Reporting (RFC 8460) gives policies and failures, recorded in the events
/// (<c>TlsPolicyType</c>, <c>TlsResultType</c>) exactly as the report's JSON carries them, so
/// that a report is a count of what the events say.
/// </summary>
public static class TlsRptNames
{
    /// <summary>A DANE policy: the server's DNSSEC-validated TLSA records (RFC 8460 §4.4, <c>policy-type</c>).</summary>
    public const string Tlsa = "tlsa";

    /// <summary>An MTA-STS policy (RFC 8461).</summary>
    public const string Sts = "sts";

    /// <summary>Neither a DANE nor an MTA-STS policy: opportunistic TLS, or TLS the local configuration requires.</summary>
    public const string NoPolicyFound = "no-policy-found";

    /// <summary>The server did not offer STARTTLS, or refused it (RFC 8460 §4.3.1).</summary>
    public const string StarttlsNotSupported = "starttls-not-supported";

    /// <summary>The certificate does not name the host.</summary>
    public const string CertificateHostMismatch = "certificate-host-mismatch";

    /// <summary>The certificate has expired, or is not valid yet.</summary>
    public const string CertificateExpired = "certificate-expired";

    /// <summary>The certificate does not chain to a trusted root.</summary>
    public const string CertificateNotTrusted = "certificate-not-trusted";

    /// <summary>Any other failure of the negotiation or of a check of its result (DANE matching, OCSP, the handshake itself).</summary>
    public const string ValidationFailure = "validation-failure";

    /// <summary>A validated TLSA record set none of whose records can be used (RFC 8460 §4.3.2).</summary>
    public const string TlsaInvalid = "tlsa-invalid";

    /// <summary>The TLSA lookup returned no valid answer.</summary>
    public const string DnssecInvalid = "dnssec-invalid";

    /// <summary>DANE is required for the server, but it has no DNSSEC-validated TLSA records.</summary>
    public const string DaneRequired = "dane-required";

    /// <summary>The MTA-STS policy could not be fetched (RFC 8460 §4.3.2.2).</summary>
    public const string StsPolicyFetchError = "sts-policy-fetch-error";

    /// <summary>The MTA-STS policy was fetched but is not valid.</summary>
    public const string StsPolicyInvalid = "sts-policy-invalid";

    /// <summary>The certificate of the MTA-STS policy's HTTPS server did not validate.</summary>
    public const string StsWebpkiInvalid = "sts-webpki-invalid";
}
