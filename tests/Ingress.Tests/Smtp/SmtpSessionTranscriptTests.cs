namespace Pipeline.Ingress.Tests.Smtp;

/// <summary>
/// The SMTP session's protocol behaviour, one conversation per file of Smtp/Transcripts: each
/// is replayed against <see cref="Pipeline.Ingress.Smtp.SmtpSession"/> in memory
/// (<see cref="TranscriptRunner"/> describes the format), and a difference names the file and line.
/// </summary>
public class SmtpSessionTranscriptTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Smtp", "Transcripts");

    /// <summary>Every transcript, by file name.</summary>
    public static TheoryData<string> Transcripts() =>
        [.. Directory.GetFiles(Folder, "*.txt").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Transcripts))]
    public async Task the_session_answers_as_the_transcript_says(string transcript) =>
        await TranscriptRunner.Load(Path.Combine(Folder, transcript), $"Smtp/Transcripts/{transcript}").RunAsync();
}
