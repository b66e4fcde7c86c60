namespace Pipeline.Contracts.Policy;

/// <summary>The SMTP stage a policy check is made at (Exim's ACL names).</summary>
public enum PolicyStage
{
    /// <summary><c>acl_smtp_connect</c>: a client connected.</summary>
    Connect,

    /// <summary><c>acl_smtp_helo</c>: HELO or EHLO.</summary>
    Helo,

    /// <summary><c>acl_smtp_mail</c>: MAIL FROM.</summary>
    Mail,

    /// <summary><c>acl_smtp_rcpt</c>: one RCPT TO.</summary>
    Rcpt,

    /// <summary><c>acl_smtp_predata</c>: the DATA command, or the first BDAT, before any content.</summary>
    Predata,

    /// <summary><c>acl_smtp_data</c>: the end of DATA, before the message is committed.</summary>
    Data,

    /// <summary><c>acl_smtp_data_prdr</c>: the end of DATA with PRDR, once per recipient, after <see cref="Data"/>.</summary>
    Prdr,
}
