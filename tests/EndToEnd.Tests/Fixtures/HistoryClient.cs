using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>Reads the events service's HTTP API, with a bearer <paramref name="token"/> when the API wants one.</summary>
public sealed class HistoryClient(int port, string? token = null) : IDisposable
{
    private readonly HttpClient _http = new()
    {
        BaseAddress = new Uri($"http://127.0.0.1:{port}"),
        DefaultRequestHeaders = { Authorization = token is null ? null : new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token) },
    };

    public async Task<JsonElement?> GetJsonAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>POSTs <paramref name="body"/> (as JSON, or nothing) and returns the status and the JSON answer.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> PostJsonAsync(string path, object? body = null)
    {
        using var response = body is null ? await _http.PostAsync(path, null) : await _http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Polls until every projection has caught up with the last event stored.</summary>
    public async Task WaitForProjectionsAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var status = (await GetJsonAsync("/projections"))!.Value;
            var high = status.GetProperty("highWaterMark").GetInt64();
            var positions = status.GetProperty("projections").EnumerateArray().Select(p => p.GetProperty("sequence").GetInt64()).ToList();
            var stored = await LastSequenceAsync();
            if (stored > 0 && high >= stored && positions.All(p => p >= stored))
                return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"projections at [{string.Join(", ", positions)}], high water mark {high}, last event {stored}");
            await Task.Delay(200);
        }
    }

    /// <summary>The ids of the messages the log says came in on <paramref name="connectionId"/>, in order.</summary>
    public async Task<IReadOnlyList<string>> ReceivedOnConnectionAsync(string connectionId)
    {
        var ids = new List<string>();
        for (var after = 0L; ;)
        {
            var page = (await GetJsonAsync($"/events?names=msg:received&limit=1000&after={after}"))!.Value;
            var events = page.GetProperty("events").EnumerateArray().ToList();
            ids.AddRange(events.Select(e => e.GetProperty("data"))
                .Where(d => d.GetProperty("connectionId").GetString() == connectionId)
                .Select(d => d.GetProperty("messageId").GetString()!));
            var next = page.GetProperty("next").GetInt64();
            if (events.Count == 0 || next <= after)
                return ids;
            after = next;
        }
    }

    /// <summary>The sequence of the last event of the log.</summary>
    public async Task<long> LastSequenceAsync() =>
        (await GetJsonAsync("/events/last"))!.Value.GetProperty("sequence").GetInt64();

    /// <summary>The names of a message's events, in order.</summary>
    public async Task<IReadOnlyList<string>> EventNamesAsync(string messageId) =>
        (await GetJsonAsync($"/messages/{messageId}/events"))?.EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList() ?? [];

    /// <summary>Polls until the message's history holds <paramref name="name"/>.</summary>
    public Task<IReadOnlyList<string>> WaitForEventAsync(string messageId, string name, TimeSpan timeout) =>
        WaitForAnyEventAsync(messageId, [name], timeout);

    /// <summary>Polls until the message's first delivery attempt ended: its history holds <c>msg:defer</c> or <c>msg:complete</c>.</summary>
    public Task<IReadOnlyList<string>> WaitForAttemptAsync(string messageId, TimeSpan timeout) =>
        WaitForAnyEventAsync(messageId, ["msg:defer", "msg:complete"], timeout);

    /// <summary>Polls until the message's history holds one of <paramref name="names"/>.</summary>
    public async Task<IReadOnlyList<string>> WaitForAnyEventAsync(string messageId, IReadOnlyList<string> names, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var seen = await EventNamesAsync(messageId);
            if (seen.Any(names.Contains))
                return seen;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{messageId} has none of [{string.Join(", ", names)}]; it has [{string.Join(", ", seen)}]");
            await Task.Delay(200);
        }
    }

    public void Dispose() => _http.Dispose();
}
