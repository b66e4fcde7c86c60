using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// The pipeline with <c>TlsOcspAuto</c>, its certificate naming an OCSP responder
/// (<c>openssl ocsp</c>) that the test starts, whose first answers are valid for twenty seconds only.
/// </summary>
public sealed class OcspAutoFixture : PipelineFixture
{
    public OcspAutoFixture()
    {
        Pki = new TestPki(Responder.Url);
        Responder.ClockShift = "-40s";
        Responder.ValidMinutes = 1;
    }

    public OcspResponder Responder { get; } = new();

    public TestPki Pki { get; }

    protected override Dictionary<string, string> Extra => new()
    {
        ["Ingress:TlsCertificate:0"] = Pki.Chain,
        ["Ingress:TlsPrivateKey:0"] = Pki.Key,
        ["Ingress:TlsOcspAuto"] = "true",
        ["Ingress:TlsOcspRetryInterval"] = "00:00:01",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Responder.Dispose();
        Pki.Dispose();
    }
}

/// <summary>TlsOcspAuto: staples fetched from the certificate's responder, kept while it is down, refreshed before they expire.</summary>
public sealed class ocsp_stapling_from_the_responder(OcspAutoFixture fixture) : IClassFixture<OcspAutoFixture>
{
    private Task<string> SClientAsync() => SClient.StatusAsync(fixture.Settings.SmtpPort, fixture.Pki.CaCertificate);

    private static async Task<string> PollAsync(Func<Task<string>> probe, Func<string, bool> until, TimeSpan limit)
    {
        var end = DateTime.UtcNow + limit;
        var output = await probe();
        while (!until(output) && DateTime.UtcNow < end)
        {
            await Task.Delay(500);
            output = await probe();
        }

        return output;
    }

    private static bool Stapled(string output) => output.Contains("OCSP Response Status: successful", StringComparison.Ordinal);

    [Fact]
    public async Task staples_what_the_responder_says_keeps_it_while_the_responder_is_down_and_refreshes_it()
    {
        // A handshake before any response could be fetched: nothing to staple.
        Assert.Contains("OCSP response: no response sent", await SClientAsync(), StringComparison.Ordinal);

        // The responder comes up; its first answers: thisUpdate 40 s ago, nextUpdate 20 s ahead.
        fixture.Responder.Start(fixture.Pki);
        var first = await PollAsync(SClientAsync, Stapled, TimeSpan.FromSeconds(15));
        Assert.True(first.Contains("Cert Status: good", StringComparison.Ordinal), first + fixture.Pipeline.Output);
        Assert.Contains("Verify return code: 0 (ok)", first, StringComparison.Ordinal);

        // Down: fetches fail (a failure is logged after the responder stopped), and the last
        // good response is still stapled ...
        var failures = Failures();
        fixture.Responder.Stop();
        await PollAsync(() => Task.FromResult(fixture.Pipeline.Output), _ => Failures() > failures, TimeSpan.FromSeconds(15));
        Assert.True(Failures() > failures, fixture.Pipeline.Output);
        Assert.True(Stapled(await SClientAsync()));

        // ... until it expires: then nothing is.
        var expired = await PollAsync(SClientAsync, o => o.Contains("OCSP response: no response sent", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        Assert.True(expired.Contains("OCSP response: no response sent", StringComparison.Ordinal), expired + fixture.Pipeline.Output);

        // Back, with answers valid for a day: stapled again, and not fetched again before halfway.
        fixture.Responder.ClockShift = null;
        fixture.Responder.ValidMinutes = 24 * 60;
        fixture.Responder.Resume();
        var refreshed = await PollAsync(SClientAsync, Stapled, TimeSpan.FromSeconds(15));
        Assert.True(refreshed.Contains("Cert Status: good", StringComparison.Ordinal), refreshed + fixture.Pipeline.Output);

        // The refresher says when it fetches next: not before halfway through the day.
        await PollAsync(() => Task.FromResult(fixture.Pipeline.Output), _ => NextFetches().LastOrDefault() >= TimeSpan.FromHours(11),
            TimeSpan.FromSeconds(10));
        var next = NextFetches().LastOrDefault();
        Assert.True(next >= TimeSpan.FromHours(11), $"next fetch in {next}:\n{fixture.Pipeline.Output}");
    }

    private int Failures() => fixture.Pipeline.Output.Split("Could not fetch an OCSP response").Length - 1;

    // The "next fetch in" of every successful fetch logged so far.
    private List<TimeSpan> NextFetches() =>
        System.Text.RegularExpressions.Regex.Matches(fixture.Pipeline.Output, @"Fetched an OCSP response .*; next fetch in (\S+)")
            .Select(m => TimeSpan.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
}
