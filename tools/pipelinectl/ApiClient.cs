using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Pipeline.Ctl;

/// <summary>The pipeline's HTTP API, as the events role serves it, with its errors made plain.</summary>
public sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;

    /// <summary>A client of the API at <paramref name="url"/>, sending <paramref name="token"/> when given.</summary>
    public ApiClient(Uri url, string? token)
    {
        _http = new HttpClient { BaseAddress = url, Timeout = Timeout.InfiniteTimeSpan };
        if (!string.IsNullOrEmpty(token))
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>Where the API is.</summary>
    public Uri Url => _http.BaseAddress!;

    /// <summary>GETs JSON; null on 404.</summary>
    public async Task<JsonElement?> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, path), HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
    }

    /// <summary>POSTs <paramref name="body"/> (JSON, or nothing) and returns the status and the JSON answer, whatever the status.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, object? body, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            await EnsureSuccessAsync(response, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Opens a Server-Sent Events stream and yields each event's data, until cancelled.</summary>
    public async IAsyncEnumerable<JsonElement> StreamAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
                yield return JsonDocument.Parse(line[6..]).RootElement.Clone();
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            using (request)
                return await _http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new CtlException($"cannot reach the pipeline at {Url}: {e.Message}");
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var error = text;
        try
        {
            if (JsonDocument.Parse(text).RootElement.TryGetProperty("error", out var e))
                error = e.GetString() ?? text;
        }
        catch (JsonException)
        {
            // Not JSON: shown as it is.
        }

        throw response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => new CtlException($"the API wants a token (--token or PIPELINE_TOKEN): {error}"),
            HttpStatusCode.Forbidden => new CtlException($"this token may not do that: {error}"),
            _ => new CtlException($"{(int)response.StatusCode} {response.ReasonPhrase}: {error}"),
        };
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}

/// <summary>An error to show the operator as it is, without a stack trace.</summary>
public sealed class CtlException(string message) : Exception(message);
