using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>Reads the events service's HTTP API.</summary>
public sealed class HistoryClient(int port) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

    public async Task<JsonElement?> GetJsonAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>The names of a message's events, in order.</summary>
    public async Task<IReadOnlyList<string>> EventNamesAsync(string messageId) =>
        (await GetJsonAsync($"/messages/{messageId}/events"))?.EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList() ?? [];

    /// <summary>Polls until the message's history holds <paramref name="name"/>.</summary>
    public async Task<IReadOnlyList<string>> WaitForEventAsync(string messageId, string name, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var names = await EventNamesAsync(messageId);
            if (names.Contains(name))
                return names;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{messageId} has no {name} event; it has [{string.Join(", ", names)}]");
            await Task.Delay(200);
        }
    }

    public void Dispose() => _http.Dispose();
}
