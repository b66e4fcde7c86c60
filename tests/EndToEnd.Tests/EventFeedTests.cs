using System.Net.Http.Headers;
using System.Text.Json;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// The event log in global order: <c>GET /events</c> paged by sequence, and the Server-Sent
/// Events stream that a client cut off resumes with <c>Last-Event-ID</c>, missing nothing and
/// seeing nothing twice.
/// </summary>
public sealed class event_feed
{
    private static async Task<string> SendAsync(PipelineSettings settings)
    {
        var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "s@origin.test", "--to", "a@example.test");
        return swaks.MessageId ?? throw new InvalidOperationException(swaks.Transcript);
    }

    // Every event of the log, page by page.
    private static async Task<List<(long Sequence, string Name)>> AllAsync(HistoryClient history, string names = "", int limit = 3)
    {
        var all = new List<(long, string)>();
        long after = 0;
        while (true)
        {
            var page = (await history.GetJsonAsync($"/events?after={after}&limit={limit}&names={names}"))!.Value;
            var events = page.GetProperty("events").EnumerateArray().ToList();
            all.AddRange(events.Select(e => (e.GetProperty("sequence").GetInt64(), e.GetProperty("name").GetString()!)));
            var next = page.GetProperty("next").GetInt64();
            if (events.Count == 0 && next == after)
                return all;
            after = next;
        }
    }

    // Reads the stream until `enough` says so, then hangs up.
    private static async Task<List<(long Id, string Name)>> StreamAsync(int port, long? lastEventId, Func<List<(long Id, string Name)>, bool> enough)
    {
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/events/stream");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
            request.Headers.Add("Last-Event-ID", lastEventId.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        var received = new List<(long, string)>();
        long id = 0;
        string? name = null;
        while (!enough(received) && await reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal))
                id = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
                name = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
                Assert.Equal(id, JsonDocument.Parse(line[6..]).RootElement.GetProperty("sequence").GetInt64());
            else if (line.Length == 0 && name is not null)
            {
                received.Add((id, name));
                name = null;
            }
        }

        return received;
    }

    [Fact]
    public async Task a_client_cut_off_resumes_with_last_event_id_and_gets_every_event_once_in_order()
    {
        await using var sink = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: PipelineSettings.Route("example.test", sink.Port)));
        using var history = new HistoryClient(settings.HttpPort);

        var first = await SendAsync(settings);
        await history.WaitForEventAsync(first, "msg:complete", TimeSpan.FromSeconds(30));
        var firstPart = await StreamAsync(settings.HttpPort, null, r => r.Count(e => e.Name == "msg:received") == 1 && r.Any(e => e.Name == "msg:complete"));

        // While the client is away, more happens.
        var later = new List<string>();
        for (var i = 0; i < 3; i++)
            later.Add(await SendAsync(settings));
        foreach (var id in later)
            await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30));
        var log = await AllAsync(history);
        var completes = log.Count(e => e.Name == "msg:complete");
        Assert.Equal(4, completes);

        var secondPart = await StreamAsync(settings.HttpPort, firstPart[^1].Id, r => r.Count > 0 && r[^1].Id >= log[^1].Sequence);
        var seen = firstPart.Concat(secondPart).ToList();
        Assert.Equal(log.Where(e => e.Sequence <= seen[^1].Id).Select(e => (e.Sequence, e.Name)), seen.Select(e => (e.Id, e.Name)));
        Assert.Equal(seen.Select(e => e.Id).Distinct().Order(), seen.Select(e => e.Id));

        // Filtered by name, the pages hold exactly those events, still in order.
        var filtered = await AllAsync(history, "msg:received,msg:complete", 2);
        Assert.Equal(log.Where(e => e.Name is "msg:received" or "msg:complete"), filtered);
    }
}
