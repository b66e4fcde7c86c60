using System.Buffers;
using Pipeline.Ingress.Proxy;
using Pipeline.Tests.Shared;

namespace Pipeline.Fuzz.Targets;

/// <summary>
/// The PROXY v1 and v2 header parser: the same decision however the bytes arrive; a header
/// never longer than the input; the header's own bytes parse alone to the same header; and
/// any shorter prefix of them asks for more instead of deciding.
/// </summary>
internal static class ProxyHeaderTarget
{
    public static void Run(byte[] input)
    {
        var whole = Parse(new ReadOnlySequence<byte>(input));
        var chunked = Parse(Segments.Split(input, Property.PartSize(input)));
        Property.Require(Same(whole, chunked), $"the decision depends on how the bytes arrived: {whole} / {chunked}");
        if (whole is not { Decided: true, Header: { } header })
            return;

        Property.Require(header.Length > 0 && header.Length <= input.Length, $"header length {header.Length} of {input.Length} bytes");
        Property.Require(header.IsLocal == (header.Source is null) && (header.Source is null) == (header.Destination is null),
            "a local header with endpoints, or a proxied one without");
        var alone = Parse(new ReadOnlySequence<byte>(input, 0, header.Length));
        Property.Require(Same(alone, whole), "the header's own bytes parse differently");
        foreach (var cut in (int[])[header.Length - 1, header.Length / 2, 1])
        {
            if (cut <= 0 || cut >= header.Length)
                continue;
            var prefix = Parse(new ReadOnlySequence<byte>(input, 0, cut));
            Property.Require(!prefix.Decided, $"a prefix of {cut} bytes of a {header.Length}-byte header was decided: {prefix}");
        }
    }

    private sealed record Outcome(bool Decided, ProxyHeader? Header, ProxyError Error, string Description);

    private static Outcome Parse(ReadOnlySequence<byte> input)
    {
        var decided = ProxyHeaderParser.TryParse(input, out var header, out var error);
        Property.Require(!decided || (header is null) != (error == ProxyError.None), "a decision with both or neither of a header and an error");
        return new Outcome(decided, header, error, header is null ? "" : Describe(header));
    }

    // Records compare their lists by reference; this compares what they hold.
    private static string Describe(ProxyHeader h) =>
        $"v{h.Version} local={h.IsLocal} {h.Source} {h.Destination} {h.Family} {h.Transport} {h.UnixSource} {h.UnixDestination} "
        + $"len={h.Length} ssl={h.Ssl} tlvs={string.Join(",", h.Tlvs.Select(t => $"{t.Type}:{Convert.ToHexString(t.Value)}"))}";

    // Two outcomes are the same decision with the same header, whatever the header objects.
    private static bool Same(Outcome a, Outcome b) => a.Decided == b.Decided && a.Error == b.Error && a.Description == b.Description;
}
