namespace Pipeline.Delivery.Retry;

/// <summary>
/// The error field of a retry rule (Exim specification, "Retry rules for specific errors"):
/// <c>*</c>; <c>refused</c>, <c>refused_MX</c>, <c>refused_A</c>; <c>timeout_connect</c>,
/// <c>timeout_connect_MX</c>, <c>timeout_connect_A</c>; <c>timeout</c>, <c>timeout_MX</c>,
/// <c>timeout_A</c> (a timeout while connecting or in the session); <c>mail_4xx</c>,
/// <c>rcpt_4xx</c>, <c>data_4xx</c>, where either the second digit or both may be given
/// (<c>rcpt_45x</c>, <c>rcpt_452</c>); <c>lost_connection</c>, <c>auth_failed</c>,
/// <c>tls_required</c>, <c>lookup</c>. Exim's <c>quota</c> errors belong to local deliveries,
/// which the pipeline does not make.
/// </summary>
public sealed class RetryErrorPattern
{
    private readonly Func<RetryError, bool> _match;

    private RetryErrorPattern(string text, Func<RetryError, bool> match)
    {
        Text = text;
        _match = match;
    }

    /// <summary>The pattern as written.</summary>
    public string Text { get; }

    /// <summary><c>*</c>: every error.</summary>
    public static readonly RetryErrorPattern Any = new("*", _ => true);

    /// <summary>True when <paramref name="error"/> is of this type.</summary>
    public bool Matches(RetryError error) => _match(error);

    /// <summary>Parses an error name.</summary>
    /// <exception cref="FormatException">The name is not one of Exim's retry error names the pipeline knows.</exception>
    public static RetryErrorPattern Parse(string text)
    {
        var name = text.Trim();
        switch (name)
        {
            case "*":
                return Any;
            case "lost_connection":
                return Of(name, RetryErrorKind.LostConnection);
            case "auth_failed":
                return Of(name, RetryErrorKind.AuthFailed);
            case "tls_required":
                return Of(name, RetryErrorKind.TlsRequired);
            case "lookup":
                return Of(name, RetryErrorKind.Lookup);
        }

        // The host-dependent names, with their optional _MX or _A suffix.
        bool? fromMx = null;
        var stem = name;
        if (name.EndsWith("_MX", StringComparison.Ordinal))
            (stem, fromMx) = (name[..^3], true);
        else if (name.EndsWith("_A", StringComparison.Ordinal))
            (stem, fromMx) = (name[..^2], false);
        bool Where(RetryError e) => fromMx is not { } mx || e.FromMx == mx;
        switch (stem)
        {
            case "refused":
                return new RetryErrorPattern(name, e => e.Kind == RetryErrorKind.Refused && Where(e));
            case "timeout_connect":
                return new RetryErrorPattern(name, e => e.Kind == RetryErrorKind.ConnectTimeout && Where(e));
            case "timeout":
                return new RetryErrorPattern(name, e => e.Kind is RetryErrorKind.ConnectTimeout or RetryErrorKind.Timeout && Where(e));
        }

        if (name.Split('_') is [var command, var code] && CodeKind(command) is { } kind && CodeMatches(code, 400) is not null)
            return new RetryErrorPattern(name, e => e.Kind == kind && CodeMatches(code, e.Code) == true);

        throw Malformed(text);
    }

    private static RetryErrorPattern Of(string name, RetryErrorKind kind) => new(name, e => e.Kind == kind);

    private static RetryErrorKind? CodeKind(string command) => command switch
    {
        "mail" => RetryErrorKind.Mail,
        "rcpt" => RetryErrorKind.Rcpt,
        "data" => RetryErrorKind.Data,
        _ => null,
    };

    private static FormatException Malformed(string text) => new(
        $"'{text}' is not a retry error name: expected *, refused, timeout_connect, timeout (each optionally _MX or _A), "
        + "mail_4xx, rcpt_4xx, data_4xx (4xx, 4Nx or 4NN), lost_connection, auth_failed, tls_required or lookup");

    // Exim's 4xx, 4Nx and 4NN: either the second digit or both may be given. Null when the
    // pattern is none of those.
    private static bool? CodeMatches(string pattern, int code) => pattern switch
    {
        "4xx" => code / 100 == 4,
        [ '4', >= '0' and <= '9' and var tens, 'x' ] => code / 10 == 40 + (tens - '0'),
        [ '4', >= '0' and <= '9', >= '0' and <= '9' ] => code.ToString(System.Globalization.CultureInfo.InvariantCulture) == pattern,
        _ => null,
    };
}
