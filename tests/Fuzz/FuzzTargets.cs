using Pipeline.Fuzz.Targets;

namespace Pipeline.Fuzz;

/// <summary>The fuzz targets by name. Each takes the fuzzer's bytes and throws on a broken property.</summary>
internal static class FuzzTargets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["smtp-command"] = SmtpCommandTarget.Run,
        ["data"] = DataDecoderTarget.Run,
        ["proxy"] = ProxyHeaderTarget.Run,
        ["spf"] = SpfTarget.Run,
        ["dmarc"] = DmarcTarget.Run,
        ["dkim-tags"] = DkimTagsTarget.Run,
        ["rules"] = RuleFileTarget.Run,
        ["reply"] = ReplyTarget.Run,
        ["headers"] = TraceHeadersTarget.Run,
    };
}
