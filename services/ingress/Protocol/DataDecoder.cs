using System.Buffers;

namespace Pipeline.Ingress.Protocol;

/// <summary>
/// Decodes message content as it arrives, for DATA (RFC 5321 §4.1.1.4, §4.5.2) and for BDAT
/// chunks (RFC 3030). Pure: no I/O. One decoder per message.
/// <list type="bullet">
/// <item>DATA ends only at <c>CRLF.CRLF</c> on the wire. A bare LF or bare CR never ends a line
/// for that purpose, so <c>LF.LF</c>, <c>CR.CR</c> and their mixes cannot end a message early
/// and smuggle a second one (the SMTP smuggling class, CVE-2023-51764/51765/51766).</item>
/// <item>Every line ending is stored as CRLF: a bare LF or bare CR becomes CRLF, so that no
/// server further on can read one as the end of data either.</item>
/// <item>A leading dot is removed after any line ending (dot-stuffing); BDAT content is taken
/// as it is.</item>
/// <item>Content past the size limit is counted but not kept; lines longer than the line
/// limit are noted.</item>
/// <item>The header section (up to the first empty line, or all of the content when there is
/// none) is measured, and its <c>Received:</c> fields counted, for the loop and header size
/// checks at the end of data.</item>
/// </list>
/// </summary>
public sealed class DataDecoder(long sizeLimit, int lineLimit, bool dotStuffed = true)
{
    private bool _lineStart = true;     // after any line ending: a dot here is stuffing
    private bool _afterCrlf = true;     // after a real CRLF: ".CRLF" here ends the data
    private bool _pendingCr;            // a CR was the last byte seen; its meaning waits for the next
    private long _lineLength;
    private bool _inHeader = true;      // before the empty line that ends the header section
    private int _fieldName;             // how much of "received" this line began with; -1: not that field

    /// <summary>Bytes of content produced so far, kept or not.</summary>
    public long Size { get; private set; }

    /// <summary>True once the content exceeded the size limit; content past it is discarded.</summary>
    public bool TooBig => Size > sizeLimit;

    /// <summary>True when a line was longer than the line limit.</summary>
    public bool LineTooLong { get; private set; }

    /// <summary>How many bare LFs or CRs were turned into CRLF.</summary>
    public int BareLineEndings { get; private set; }

    /// <summary>Bytes of the header section so far, each line with its CRLF (the empty line that ends it not counted).</summary>
    public long HeaderSize { get; private set; }

    /// <summary>How many <c>Received:</c> fields the header section holds (RFC 5322 §3.6.7; a name, optional blanks, a colon).</summary>
    public int ReceivedFields { get; private set; }

    /// <summary>
    /// Decodes what <paramref name="buffer"/> holds into <paramref name="output"/> and advances
    /// the buffer past what it consumed. In DATA mode a dot that may begin the terminator is left
    /// in the buffer until the bytes after it arrive.
    /// </summary>
    /// <returns>True when the terminating <c>.CRLF</c> was consumed (DATA mode only).</returns>
    public bool Decode(ref ReadOnlySequence<byte> buffer, IBufferWriter<byte> output)
    {
        var reader = new SequenceReader<byte>(buffer);
        try
        {
            while (!reader.End)
            {
                if (_pendingCr)
                {
                    _pendingCr = false;
                    var crlf = reader.IsNext((byte)'\n', advancePast: true);
                    EndLine(output, bare: !crlf);
                    if (!crlf)
                    {
                        // A bare CR ends the stored line but is no line start on the wire.
                        _lineStart = _afterCrlf = false;
                    }

                    continue;
                }

                if (_lineStart && dotStuffed && reader.TryPeek(out var first) && first == (byte)'.')
                {
                    if (_afterCrlf)
                    {
                        if (reader.Remaining < 3 && IsPrefixOfTerminator(reader))
                            return false;
                        if (reader.IsNext(".\r\n"u8, advancePast: true))
                            return true;
                    }

                    reader.Advance(1); // the stuffed dot
                }

                _lineStart = _afterCrlf = false;
                if (!reader.TryReadToAny(out ReadOnlySequence<byte> text, "\r\n"u8, advancePastDelimiter: false))
                {
                    Write(reader.UnreadSequence, output);
                    reader.AdvanceToEnd();
                    return false;
                }

                Write(text, output);
                reader.TryRead(out var ending);
                if (ending == (byte)'\r')
                    _pendingCr = true;
                else
                    EndLine(output, bare: true);
            }

            return false;
        }
        finally
        {
            buffer = buffer.Slice(reader.Position);
        }
    }

    /// <summary>Ends the content (BDAT LAST): a CR left waiting becomes a line ending.</summary>
    public void Complete(IBufferWriter<byte> output)
    {
        if (_pendingCr)
        {
            _pendingCr = false;
            EndLine(output, bare: true);
        }
    }

    private void EndLine(IBufferWriter<byte> output, bool bare)
    {
        if (bare)
            BareLineEndings++;
        if (_inHeader)
        {
            if (_lineLength == 0)
                _inHeader = false;
            else
            {
                HeaderSize += 2;
                if (_fieldName == Received.Length + 1)
                    ReceivedFields++;
            }

            _fieldName = 0;
        }

        Write("\r\n"u8, output);
        _lineLength = 0;
        _lineStart = true;
        _afterCrlf = !bare;
    }

    private static bool IsPrefixOfTerminator(SequenceReader<byte> reader)
    {
        Span<byte> head = stackalloc byte[3];
        var available = (int)Math.Min(reader.Remaining, 3);
        reader.TryCopyTo(head[..available]);
        return ".\r\n"u8[..available].SequenceEqual(head[..available]);
    }

    private void Write(ReadOnlySequence<byte> bytes, IBufferWriter<byte> output)
    {
        foreach (var segment in bytes)
        {
            if (_inHeader)
                ReadHeader(segment.Span);
            _lineLength += segment.Length;
            if (_lineLength > lineLimit)
                LineTooLong = true;
            Write(segment.Span, output);
        }
    }

    private static ReadOnlySpan<byte> Received => "received"u8;

    // Measures header text and follows, across segments, whether the line names the Received
    // field: "received" in any case, then blanks (obsolete syntax, RFC 5322 §4.5), then a colon.
    // _fieldName counts the letters matched; Received.Length + 1 once the colon came.
    private void ReadHeader(ReadOnlySpan<byte> text)
    {
        HeaderSize += text.Length;
        foreach (var b in text)
        {
            if (_fieldName < 0 || _fieldName > Received.Length)
                return;
            if (_fieldName < Received.Length)
                _fieldName = (b | 0x20) == Received[_fieldName] ? _fieldName + 1 : -1;
            else if (b == (byte)':')
                _fieldName++;
            else if (b is not ((byte)' ' or (byte)'\t'))
                _fieldName = -1;
        }
    }

    private void Write(ReadOnlySpan<byte> bytes, IBufferWriter<byte> output)
    {
        var room = sizeLimit - Size;
        Size += bytes.Length;
        if (room > 0)
            output.Write(bytes[..(int)Math.Min(bytes.Length, room)]);
    }
}
