using Pipeline.Contracts.Events;

namespace Pipeline.Events.Dmarc;

/// <summary>
/// The record's <c>fo=</c> (RFC 7489 §6.3): which messages a failure report is due for. Its
/// options, separated by colons, add up:
/// <c>0</c>, all mechanisms failed to give an aligned pass (DMARC failed);
/// <c>1</c>, any mechanism failed to give one (a message without a DKIM signature has no aligned DKIM pass);
/// <c>d</c>, a DKIM signature failed to verify, aligned or not;
/// <c>s</c>, SPF failed, aligned or not.
/// </summary>
public static class FailureOptions
{
    /// <summary>True when <paramref name="evaluation"/>'s <c>fo=</c> asks for a failure report of its message.</summary>
    public static bool Wants(DmarcEvaluation evaluation)
    {
        var dkimAlignedPass = evaluation.Dkim.Any(d => d.Aligned);
        var spfAlignedPass = evaluation.Spf.Aligned;
        foreach (var option in evaluation.FailureOptions.Split(':', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var due = option.ToLowerInvariant() switch
            {
                "0" => !dkimAlignedPass && !spfAlignedPass,
                "1" => !dkimAlignedPass || !spfAlignedPass,
                "d" => evaluation.Dkim.Any(d => d.Result != "pass"),
                "s" => evaluation.Spf.Result == "fail",
                _ => false,
            };
            if (due)
                return true;
        }

        return false;
    }

    /// <summary>The Identity-Alignment field of RFC 6591 §3.2: the mechanisms that gave an aligned pass, or <c>none</c>.</summary>
    public static string IdentityAlignment(DmarcEvaluation evaluation)
    {
        var aligned = new List<string>();
        if (evaluation.Dkim.Any(d => d.Aligned))
            aligned.Add("dkim");
        if (evaluation.Spf.Aligned)
            aligned.Add("spf");
        return aligned.Count == 0 ? "none" : string.Join(", ", aligned);
    }
}
