namespace Pipeline.Policy.Spf;

/// <summary>The results of check_host() (RFC 7208 §2.6), with the names Exim's <c>spf</c> condition uses.</summary>
public enum SpfResult
{
    /// <summary>No SPF record, or no valid domain to check.</summary>
    None,

    /// <summary>The domain says nothing about the client.</summary>
    Neutral,

    /// <summary>The client is authorized.</summary>
    Pass,

    /// <summary>The client is not authorized.</summary>
    Fail,

    /// <summary>The client is probably not authorized.</summary>
    SoftFail,

    /// <summary>A transient error, usually DNS.</summary>
    TempError,

    /// <summary>The record could not be interpreted.</summary>
    PermError,
}

/// <summary>The outcome of one SPF check.</summary>
/// <param name="Result">The result.</param>
/// <param name="Explanation">For <see cref="SpfResult.Fail"/>: the domain's <c>exp=</c> text, expanded, when it had one.</param>
/// <param name="Problem">For errors: what went wrong, for logs and headers.</param>
public sealed record SpfOutcome(SpfResult Result, string? Explanation = null, string? Problem = null);

/// <summary>Result names as written in headers and rules (RFC 7208 §8: lower case).</summary>
public static class SpfResultNames
{
    /// <summary>The name of <paramref name="result"/>: <c>pass</c>, <c>softfail</c>, <c>permerror</c> ...</summary>
    public static string Name(this SpfResult result) => result switch
    {
        SpfResult.None => "none",
        SpfResult.Neutral => "neutral",
        SpfResult.Pass => "pass",
        SpfResult.Fail => "fail",
        SpfResult.SoftFail => "softfail",
        SpfResult.TempError => "temperror",
        _ => "permerror",
    };

    /// <summary>Parses a result name, with Exim's deprecated <c>err_perm</c> and <c>err_temp</c>.</summary>
    public static bool TryParse(string name, out SpfResult result)
    {
        switch (name.ToLowerInvariant())
        {
            case "none": result = SpfResult.None; return true;
            case "neutral": result = SpfResult.Neutral; return true;
            case "pass": result = SpfResult.Pass; return true;
            case "fail": result = SpfResult.Fail; return true;
            case "softfail": result = SpfResult.SoftFail; return true;
            case "temperror" or "err_temp": result = SpfResult.TempError; return true;
            case "permerror" or "err_perm": result = SpfResult.PermError; return true;
            default: result = default; return false;
        }
    }
}
