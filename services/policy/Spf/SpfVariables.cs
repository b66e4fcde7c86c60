using Pipeline.Contracts.Policy;

namespace Pipeline.Policy.Spf;

/// <summary>
/// Exim's SPF variables for one outcome: <c>$spf_result</c>, <c>$spf_header_comment</c>,
/// <c>$spf_smtp_comment</c> and <c>$spf_received</c>, a whole <c>Received-SPF</c> header
/// (RFC 7208 §9.1) to use with <c>add_header</c>.
/// </summary>
public static class SpfVariables
{
    /// <summary>The variables for <paramref name="outcome"/> of the check made for <paramref name="check"/> by <paramref name="receiver"/>.</summary>
    public static IEnumerable<KeyValuePair<string, string>> For(SpfOutcome outcome, CheckPolicy check, string receiver)
    {
        var sender = string.IsNullOrEmpty(check.Sender) ? $"postmaster@{check.Helo}" : check.Sender;
        var domain = sender[(sender.LastIndexOf('@') + 1)..];
        var client = check.ClientAddress;
        var comment = $"{receiver}: " + outcome.Result switch
        {
            SpfResult.Pass => $"domain of {sender} designates {client} as permitted sender",
            SpfResult.Fail => $"domain of {sender} does not designate {client} as permitted sender",
            SpfResult.SoftFail => $"transitioning domain of {sender} does not designate {client} as permitted sender",
            SpfResult.Neutral => $"{client} is neither permitted nor denied by domain of {sender}",
            SpfResult.None => $"domain of {sender} does not provide an SPF record",
            SpfResult.TempError => $"error in processing during lookup of {sender}: {outcome.Problem}",
            _ => $"error in processing during lookup of {sender}: {outcome.Problem}",
        };
        var smtpComment = outcome.Explanation ?? (outcome.Result == SpfResult.Fail ? $"{client} is not allowed to send mail from {domain}" : "");
        var received = $"Received-SPF: {outcome.Result.Name()} ({Clean(comment)}) client-ip={client}; " +
                       $"envelope-from=\"{Clean(sender)}\"; helo={Clean(check.Helo ?? "")}; receiver={receiver};";
        yield return new("spf_result", outcome.Result.Name());
        yield return new("spf_header_comment", comment);
        yield return new("spf_smtp_comment", smtpComment);
        yield return new("spf_received", received);
    }

    // Nothing that could break the header or its comment.
    private static string Clean(string text) =>
        new(text.Select(c => char.IsControl(c) || c is '(' or ')' or '"' ? '?' : c).ToArray());
}
