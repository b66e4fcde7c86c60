using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>Exim's smtp:fail:syntax and smtp:fail:protocol on an inbound connection's stream.</summary>
public sealed class smtp_fail_events
{
    [Fact]
    public async Task syntax_and_protocol_errors_are_recorded_on_the_connection()
    {
        await using var sink = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: PipelineSettings.Route("example.test", sink.Port)));
        using var history = new HistoryClient(settings.HttpPort);

        string id;
        await using (var client = await RawSmtpClient.ConnectAsync(settings.SmtpPort))
        {
            await client.ReadReplyAsync();
            await client.CommandAsync("EHLO client.test");
            Assert.StartsWith("500", await client.CommandAsync("FROBNICATE"), StringComparison.Ordinal);
            Assert.StartsWith("503", await client.CommandAsync("RCPT TO:<a@example.test>"), StringComparison.Ordinal);
            Assert.StartsWith("501", await client.CommandAsync("MAIL FROM:<not an address"), StringComparison.Ordinal);
            Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<s@origin.test>"), StringComparison.Ordinal);
            Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<a@example.test>"), StringComparison.Ordinal);
            Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
            var reply = await client.CommandAsync("Subject: t\r\n\r\nhello\r\n.");
            id = reply[(reply.IndexOf("id=", StringComparison.Ordinal) + 3)..].Trim();
            await client.CommandAsync("QUIT");
        }

        var connection = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value[0].GetProperty("data").GetProperty("connectionId").GetString();
        System.Text.Json.JsonElement? events = null;
        for (var i = 0; i < 50 && events is null; i++, await Task.Delay(100))
            events = await history.GetJsonAsync($"/connections/{connection}/events");
        var failures = events!.Value.EnumerateArray()
            .Where(e => e.GetProperty("name").GetString()!.StartsWith("smtp:fail:", StringComparison.Ordinal))
            .Select(e => (e.GetProperty("name").GetString(), e.GetProperty("data").GetProperty("eventData").GetString()![..3]))
            .ToList();
        Assert.Equal([("smtp:fail:syntax", "500"), ("smtp:fail:protocol", "503"), ("smtp:fail:syntax", "501")], failures);
    }
}
