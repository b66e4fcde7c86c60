namespace Pipeline.Delivery.Tests.Smtp;

/// <summary>
/// The SMTP client's protocol behaviour, one conversation per file of Smtp/Transcripts: each
/// plays the server to <see cref="Pipeline.Delivery.Smtp.SmtpTransport"/> over loopback and
/// says what the transport must report (<see cref="TranscriptServer"/> describes the format);
/// a difference names the file and line.
/// </summary>
public class SmtpTransportTranscriptTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Smtp", "Transcripts");

    /// <summary>Every transcript, by file name.</summary>
    public static TheoryData<string> Transcripts() =>
        [.. Directory.GetFiles(Folder, "*.txt").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Transcripts))]
    public async Task the_transport_speaks_and_reports_as_the_transcript_says(string transcript) =>
        await TranscriptServer.Load(Path.Combine(Folder, transcript), $"Smtp/Transcripts/{transcript}").RunAsync();
}
