using System.Buffers;

namespace Pipeline.Fuzz;

/// <summary>Splits bytes into a multi-segment sequence, as a pipe hands over bytes that arrived in parts.</summary>
internal static class Chunks
{
    /// <summary>A size for the parts, 1 to 16, taken from the input so that a run is reproducible.</summary>
    public static int SizeFor(byte[] input) => input.Length == 0 ? 1 : 1 + (input[0] % 16);

    public static ReadOnlySequence<byte> Split(ReadOnlyMemory<byte> bytes, int size)
    {
        if (bytes.Length <= size)
            return new ReadOnlySequence<byte>(bytes);
        var first = new Segment(bytes[..size], 0);
        var last = first;
        for (var at = size; at < bytes.Length; at += size)
            last = last.Append(bytes[at..Math.Min(at + size, bytes.Length)]);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
