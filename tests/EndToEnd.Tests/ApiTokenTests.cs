using System.Net;
using System.Net.Http.Headers;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>Bearer tokens on the HTTP API (<c>Events:ApiTokens</c>): 401 without a valid one, read-only tokens only read.</summary>
public sealed class api_tokens
{
    private const string Reader = "read-token-0123456789";
    private const string Admin = "admin-token-0123456789";

    [Fact]
    public async Task requests_without_a_valid_token_get_401_and_a_read_token_cannot_change_anything()
    {
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: new Dictionary<string, string>
        {
            ["Events:ApiTokens:0:Token"] = Reader,
            ["Events:ApiTokens:0:Role"] = "read",
            ["Events:ApiTokens:1:Token"] = Admin,
            ["Events:ApiTokens:1:Role"] = "admin",
        }));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{settings.HttpPort}") };

        async Task<HttpStatusCode> StatusAsync(HttpMethod method, string path, string? token)
        {
            using var request = new HttpRequestMessage(method, path);
            if (token is not null)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
                Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(HttpMethod.Get, "/health", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(HttpMethod.Get, "/events", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(HttpMethod.Get, "/events", "not-a-token-at-all-000"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(HttpMethod.Get, "/messages/x", Reader + "x"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(HttpMethod.Get, "/events", Reader));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(HttpMethod.Get, "/events", Admin));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(HttpMethod.Post, "/messages/x/retry", Reader));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(HttpMethod.Post, "/messages/x/cancel", Reader));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(HttpMethod.Post, "/projections/all/rebuild", Reader));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(HttpMethod.Get, "/queue", Reader));
        // The admin token gets through to delivery, which knows no such message.
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(HttpMethod.Post, "/messages/x/retry", Admin));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(HttpMethod.Post, "/messages/x/cancel", Admin));
    }

    [Fact]
    public async Task an_open_api_refuses_to_listen_beyond_loopback()
    {
        var settings = new PipelineSettings();
        var configuration = settings.For(extra: new Dictionary<string, string> { ["Events:Listen"] = $"http://0.0.0.0:{settings.HttpPort}" });
        var e = await Assert.ThrowsAnyAsync<Exception>(async () => await (await PipelineProcess.StartAsync(configuration)).DisposeAsync());
        Assert.Contains("Events:ApiTokens is empty", e.Message, StringComparison.Ordinal);
    }
}
