using System.Buffers;
using Pipeline.Delivery.Protocol;
using Pipeline.Ingress.Protocol;
using Pipeline.Tests.Shared;

namespace Pipeline.Fuzz.Targets;

/// <summary>
/// The DATA and BDAT content decoder: the same result however the bytes arrive; the end of data
/// only at a real <c>CRLF.CRLF</c> (no smuggling); every stored line ending a CRLF; and what
/// delivery's dot-stuffing writes decodes back to the same content.
/// </summary>
internal static class DataDecoderTarget
{
    private const long SizeLimit = 64 * 1024;
    private const int LineLimit = 998;

    public static void Run(byte[] input)
    {
        foreach (var dotStuffed in (bool[])[true, false])
        {
            var whole = Decode(input, input.Length, dotStuffed);
            var chunked = Decode(input, Property.PartSize(input), dotStuffed);
            Property.Require(whole == chunked with { Output = whole.Output } && whole.Output.AsSpan().SequenceEqual(chunked.Output),
                $"the decoder's result depends on how the bytes arrived (dotStuffed: {dotStuffed})");
            Property.Require(OnlyCrlf(whole.Output) || whole.TooBig, "a bare CR or LF in the stored content");
            if (!dotStuffed)
            {
                Property.Require(!whole.Ended && whole.Consumed == input.Length, "BDAT content has no terminator");
                continue;
            }

            if (!whole.Ended)
                continue;
            var consumed = input.AsSpan(0, whole.Consumed);
            Property.Require(consumed.SequenceEqual(".\r\n"u8) || consumed.EndsWith("\r\n.\r\n"u8),
                "the data ended somewhere else than at CRLF.CRLF");
            if (whole.TooBig)
                continue;

            var encoded = new ArrayBufferWriter<byte>();
            DotStuffing.Encode(whole.Output, encoded);
            var again = Decode(encoded.WrittenSpan.ToArray(), encoded.WrittenCount, dotStuffed: true);
            Property.Require(again.Ended && again.Consumed == encoded.WrittenCount, "dot-stuffed content does not end where it should");
            Property.Require(again.Output.AsSpan().SequenceEqual(whole.Output), "dot-stuffed content decodes to other content");
            Property.Require(again.BareLineEndings == 0 && again.HeaderSize == whole.HeaderSize && again.ReceivedFields == whole.ReceivedFields,
                "re-encoded content is measured differently");
        }
    }

    private sealed record Result(byte[] Output, bool Ended, int Consumed, long Size, bool TooBig, bool LineTooLong,
        int BareLineEndings, long HeaderSize, int ReceivedFields);

    // Feeds the input as a pipe would: each read shows what is left unconsumed plus the next part.
    private static Result Decode(byte[] input, int partSize, bool dotStuffed)
    {
        var decoder = new DataDecoder(SizeLimit, LineLimit, dotStuffed);
        var output = new ArrayBufferWriter<byte>();
        var consumed = 0;
        var ended = false;
        for (var shown = Math.Min(partSize, input.Length); !ended; shown = Math.Min(shown + partSize, input.Length))
        {
            var buffer = Segments.Split(input.AsMemory(consumed, shown - consumed), partSize);
            var length = buffer.Length;
            ended = decoder.Decode(ref buffer, output);
            consumed += (int)(length - buffer.Length);
            if (shown == input.Length)
                break;
        }

        if (!dotStuffed)
            decoder.Complete(output);
        return new Result(output.WrittenSpan.ToArray(), ended, consumed, decoder.Size, decoder.TooBig, decoder.LineTooLong,
            decoder.BareLineEndings, decoder.HeaderSize, decoder.ReceivedFields);
    }

    private static bool OnlyCrlf(ReadOnlySpan<byte> content)
    {
        for (var i = 0; i < content.Length; i++)
        {
            if (content[i] == (byte)'\r' && (i + 1 == content.Length || content[i + 1] != (byte)'\n'))
                return false;
            if (content[i] == (byte)'\n' && (i == 0 || content[i - 1] != (byte)'\r'))
                return false;
        }

        return true;
    }
}
