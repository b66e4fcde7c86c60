using System.Buffers;
using Pipeline.Contracts.Events;
using Pipeline.Ingress.Protocol;

namespace Pipeline.Ingress.Smtp;

/// <summary>The envelope of the mail transaction in progress (RFC 5321 §3.3), and its content once DATA or BDAT began.</summary>
public sealed class SmtpTransaction(string sender, MailParameters parameters)
{
    /// <summary>When MAIL was accepted, a <see cref="System.Diagnostics.Stopwatch"/> timestamp.</summary>
    public long StartedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>The reverse-path; empty for the null sender.</summary>
    public string Sender { get; } = sender;

    /// <summary>MAIL's parameters.</summary>
    public MailParameters Parameters { get; } = parameters;

    /// <summary>The accepted recipients, in RCPT order.</summary>
    public List<Recipient> Recipients { get; } = [];

    /// <summary>The content checks each accepted recipient's verdict named, in RCPT order; without PRDR all are the same.</summary>
    public List<string?> ContentFilters { get; } = [];

    /// <summary>The content checks the whole message gets: the recipients' common one, or null when they differ.</summary>
    public string? ContentFilter => ContentFilters.Distinct().Count() == 1 ? ContentFilters[0] : null;

    /// <summary>Header lines policy's verdicts added (Exim's <c>add_header</c>), put after the Received header at commit.</summary>
    public List<string> AddedHeaders { get; } = [];

    /// <summary>Header fields of the client's content that policy's verdicts removed, each by the text its line starts with.</summary>
    public List<string> RemovedHeaders { get; } = [];

    /// <summary>The content being received, from the first BDAT chunk or DATA on.</summary>
    public MessageContent? Content { get; set; }
}

/// <summary>A message's content while it arrives: its id, bytes, decoder and deadline.</summary>
public sealed class MessageContent(string messageId, DateTimeOffset startedAt, DataDecoder decoder, DateTimeOffset deadline)
{
    public string MessageId { get; } = messageId;

    public DateTimeOffset StartedAt { get; } = startedAt;

    public DataDecoder Decoder { get; } = decoder;

    /// <summary>When the DATA or BDAT phase must be over (<see cref="IngressOptions.SmtpDataTimeout"/>).</summary>
    public DateTimeOffset Deadline { get; } = deadline;

    public ArrayBufferWriter<byte> Bytes { get; } = new(64 * 1024);

    /// <summary>The length of the trace header written before the client's content.</summary>
    public int TraceLength { get; set; }

    /// <summary>True for BDAT, false for DATA.</summary>
    public bool Chunked { get; init; }
}
