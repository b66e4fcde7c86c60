using Pipeline.Infrastructure.Protocol;
namespace Pipeline.Ingress.Protocol;

/// <summary>
/// The ESMTP parameters of MAIL (RFC 5321 §4.1.1.2) that ingress implements: SIZE (RFC 1870),
/// BODY (RFC 6152, RFC 3030), SMTPUTF8 (RFC 6531), RET and ENVID (RFC 3461), PRDR
/// (draft-hall-prdr-00) and REQUIRETLS (RFC 8689). Pure.
/// </summary>
/// <param name="Size">The declared size, when given.</param>
/// <param name="BodyType"><c>7BIT</c> or <c>8BITMIME</c>.</param>
/// <param name="SmtpUtf8">True when the client asked for SMTPUTF8.</param>
/// <param name="Return"><c>FULL</c> or <c>HDRS</c>, when given.</param>
/// <param name="EnvelopeId">The decoded ENVID, when given.</param>
/// <param name="Prdr">True when the client asked for PRDR.</param>
/// <param name="RequireTls">True when the client asked for REQUIRETLS: the message goes on only over verified TLS.</param>
public sealed record MailParameters(long? Size, string BodyType, bool SmtpUtf8, string? Return, string? EnvelopeId, bool Prdr, bool RequireTls = false)
{
    /// <summary>REQUIRETLS on a session in the clear (RFC 8689 §2: the option is only for a session that employs TLS).</summary>
    public static readonly SmtpReply RequireTlsNeedsTls = new(530, "5.7.10", "REQUIRETLS needs a TLS session: say STARTTLS first");

    /// <summary>Checks and converts MAIL's parameters; null with <paramref name="error"/>, the reply, when one is wrong.</summary>
    /// <param name="parameters">The parameters, keywords upper-cased.</param>
    /// <param name="prdrOffered">True when the server offers PRDR.</param>
    /// <param name="error">The reply to a wrong parameter.</param>
    /// <param name="tls">True when the session is under TLS, the only place REQUIRETLS is offered and taken.</param>
    public static MailParameters? Parse(IReadOnlyDictionary<string, string?> parameters, bool prdrOffered, out SmtpReply? error, bool tls = false)
    {
        error = null;
        long? size = null;
        string body = "7BIT", ret = null!, envid = null!;
        bool utf8 = false, prdr = false, requireTls = false;
        foreach (var (name, value) in parameters)
        {
            switch (name)
            {
                case "SIZE" when long.TryParse(value, out var n) && n >= 0:
                    size = n;
                    break;
                case "BODY" when value?.ToUpperInvariant() is "7BIT" or "8BITMIME":
                    body = value.ToUpperInvariant();
                    break;
                case "SMTPUTF8" when value is null:
                    utf8 = true;
                    break;
                case "RET" when ret is null && value?.ToUpperInvariant() is "FULL" or "HDRS":
                    ret = value.ToUpperInvariant();
                    break;
                case "ENVID" when envid is null && value is { Length: > 0 and <= 100 } && Xtext.Decode(value) is { } decoded:
                    envid = decoded;
                    break;
                case "PRDR" when value is null && prdrOffered:
                    prdr = true;
                    break;
                case "REQUIRETLS" when value is null && tls:
                    requireTls = true;
                    break;
                case "REQUIRETLS" when value is null:
                    error = RequireTlsNeedsTls;
                    return null;
                case "AUTH" when value is { Length: > 0 } && Xtext.Decode(value) is not null:
                    // RFC 4954 §5: the identity a trusted relay vouches for; ingress trusts no one's word.
                    break;
                case "SIZE" or "BODY" or "SMTPUTF8" or "RET" or "ENVID" or "REQUIRETLS":
                    error = new SmtpReply(501, "5.5.4", $"invalid {name} parameter");
                    return null;
                default:
                    error = new SmtpReply(555, "5.5.4", $"unsupported parameter {name}");
                    return null;
            }
        }

        return new MailParameters(size, body, utf8, ret, envid, prdr, requireTls);
    }
}

/// <summary>The ESMTP parameters of RCPT that ingress implements: NOTIFY and ORCPT (RFC 3461 §4.1, §4.2). Pure.</summary>
/// <param name="Notify">The NOTIFY list (<c>NEVER</c>, or some of <c>SUCCESS,FAILURE,DELAY</c>), upper-cased.</param>
/// <param name="OriginalRecipient">ORCPT as given, <c>addr-type;xtext</c>.</param>
public sealed record RcptParameters(string? Notify, string? OriginalRecipient)
{
    /// <summary>Checks RCPT's parameters; null with <paramref name="error"/>, the reply, when one is wrong.</summary>
    public static RcptParameters? Parse(IReadOnlyDictionary<string, string?> parameters, out SmtpReply? error)
    {
        error = null;
        string? notify = null, orcpt = null;
        foreach (var (name, value) in parameters)
        {
            switch (name)
            {
                case "NOTIFY" when value is not null && IsNotify(value.ToUpperInvariant()):
                    notify = value.ToUpperInvariant();
                    break;
                case "ORCPT" when value is not null && value.IndexOf(';') is > 0 and var semi
                                  && Xtext.Decode(value[(semi + 1)..]) is { Length: > 0 }:
                    orcpt = value;
                    break;
                case "NOTIFY" or "ORCPT":
                    error = new SmtpReply(501, "5.5.4", $"invalid {name} parameter");
                    return null;
                default:
                    error = new SmtpReply(555, "5.5.4", $"unsupported parameter {name}");
                    return null;
            }
        }

        return new RcptParameters(notify, orcpt);
    }

    private static bool IsNotify(string value)
    {
        if (value == "NEVER")
            return true;
        var items = value.Split(',');
        return items.All(i => i is "SUCCESS" or "FAILURE" or "DELAY") && items.Distinct().Count() == items.Length;
    }
}
