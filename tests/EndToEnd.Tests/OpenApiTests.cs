using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>The HTTP API describes itself: an OpenAPI document at <c>/openapi/v1.json</c>.</summary>
public sealed class openapi_document
{
    [Fact]
    public async Task the_api_serves_an_openapi_document_naming_every_endpoint_and_its_answers()
    {
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For());
        using var history = new HistoryClient(settings.HttpPort);

        var document = (await history.GetJsonAsync("/openapi/v1.json"))!.Value;

        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.Equal("Pipeline events API", document.GetProperty("info").GetProperty("title").GetString());
        var paths = document.GetProperty("paths");
        string[] expected =
        [
            "/health", "/messages", "/messages/{id}", "/messages/{id}/events", "/messages/{id}/recipients", "/connections/{id}",
            "/connections/{id}/events", "/events", "/events/last", "/events/stream", "/queue", "/messages/{id}/retry",
            "/messages/{id}/cancel", "/projections", "/projections/{name}/rebuild", "/replay", "/stats/hourly",
            "/dmarc/aggregate",
        ];
        Assert.Equal(expected.Order(), paths.EnumerateObject().Select(p => p.Name).Order());

        var summary = paths.GetProperty("/messages/{id}").GetProperty("get");
        Assert.Equal("A message's summary, folded from its stream", summary.GetProperty("summary").GetString());
        Assert.Contains("MessageSummary", summary.GetProperty("responses").GetProperty("200").GetRawText(), StringComparison.Ordinal);
        Assert.True(summary.GetProperty("responses").TryGetProperty("404", out _));
        var schemas = document.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.GetProperty("MessageSummary").GetProperty("properties").TryGetProperty("recipients", out _));
    }
}
