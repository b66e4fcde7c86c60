using System.Buffers;

namespace Pipeline.Tests.Shared;

/// <summary>
/// Builds a <see cref="ReadOnlySequence{T}"/> of several segments, as a pipe hands over bytes
/// that arrived in parts. Linked into the unit tests and the fuzz targets.
/// </summary>
internal static class Segments
{
    /// <summary>The parts as given, one segment each.</summary>
    public static ReadOnlySequence<byte> Of(params byte[][] parts) => Join(parts.Select(p => (ReadOnlyMemory<byte>)p).ToList());

    /// <summary><paramref name="bytes"/> cut every <paramref name="size"/> bytes.</summary>
    public static ReadOnlySequence<byte> Split(ReadOnlyMemory<byte> bytes, int size)
    {
        var parts = new List<ReadOnlyMemory<byte>>();
        for (var at = 0; at < bytes.Length; at += size)
            parts.Add(bytes[at..Math.Min(at + size, bytes.Length)]);
        return parts.Count == 0 ? ReadOnlySequence<byte>.Empty : Join(parts);
    }

    private static ReadOnlySequence<byte> Join(List<ReadOnlyMemory<byte>> parts)
    {
        var first = new Segment(parts[0], 0);
        var last = first;
        foreach (var part in parts.Skip(1))
            last = last.Append(part);
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
