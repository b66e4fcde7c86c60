using System.Text;
using System.Text.Json;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// The SMTP smuggling cases of tests/testdata/smtp-smuggling, each played against ingress as
/// their how_to_run says, from a client allowed to relay; what the sink finally receives is
/// the proof: one message at most, the smuggled transaction never run on its own.
/// </summary>
public sealed class smtp_smuggling_cases(PipelineFixture fixture) : IClassFixture<PipelineFixture>
{
    private static readonly JsonElement Cases = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(AppContext.BaseDirectory, "testdata", "smtp-smuggling", "smtp-smuggling-cases.json"))).RootElement.GetProperty("cases");

    // The RELAY case asks what the outbound client writes on the wire, which smtp-sink's dump
    // does not show; it holds because ingress stores every bare LF and bare CR as CRLF (the DATA
    // cases here) and delivery dot-stuffs what it sends (Delivery.Tests' DotStuffingTests).
    public static TheoryData<string> Names() =>
        [.. Cases.EnumerateArray().Where(c => c.GetProperty("phase").GetString() != "RELAY").Select(c => c.GetProperty("name").GetString()!)];

    private static string Bytes(string hex) => Encoding.Latin1.GetString(Convert.FromHexString(hex));

    // Every reply the server sends within a second, as the cases' driver reads them.
    private static async Task<List<string>> RepliesAsync(RawSmtpClient client)
    {
        // The first reply may wait for the message's commit on a loaded machine; any further
        // reply (the smuggled transaction's) would follow at once.
        var replies = new List<string>();
        try
        {
            while (await client.ReadReplyAsync(TimeSpan.FromSeconds(replies.Count == 0 ? 15 : 1)) is { Length: > 0 } reply)
                replies.Add(reply);
        }
        catch (OperationCanceledException)
        {
            // Nothing more within the window.
        }

        return replies;
    }

    private async Task<string> DeliveredAsync(string messageId)
    {
        await fixture.History.WaitForEventAsync(messageId, "msg:complete", TimeSpan.FromSeconds(30));
        return Assert.Single(fixture.Sink.Messages, m => m.Contains($"id {messageId}", StringComparison.Ordinal));
    }

    // The cases write CR and LF as the two-character escapes \r and \n.
    private static string Unescape(string text) => text.Replace("\\r", "\r", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal);

    private static string Lf(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(Names))]
    public async Task holds(string name)
    {
        var c = Cases.EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        var expected = c.GetProperty("expected");
        var data = Bytes(c.GetProperty("data_hex").GetString()!);
        await using var client = await RawSmtpClient.ConnectAsync(fixture.Settings.SmtpPort, "127.0.0.2");
        await client.ReadReplyAsync();
        await client.CommandAsync("EHLO client.test");

        if (c.GetProperty("phase").GetString() == "COMMAND" && !data.StartsWith("BDAT", StringComparison.Ordinal))
        {
            // A bare LF inside a command line: one malformed line, never MAIL then RCPT.
            await client.SendAsync(data);
            var replies = await RepliesAsync(client);
            Assert.DoesNotContain(replies, r => r.StartsWith("250 2.1.5", StringComparison.Ordinal));
            Assert.StartsWith("5", Assert.Single(replies), StringComparison.Ordinal);
            return;
        }

        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<alice@example.com>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<bob@example.net>"), StringComparison.Ordinal);
        if (c.GetProperty("phase").GetString() == "DATA")
        {
            Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
            if (expected.TryGetProperty("send_in_chunks", out var chunks))
            {
                foreach (var chunk in chunks.EnumerateArray())
                {
                    await client.SendAsync(Bytes(chunk.GetString()!));
                    await Task.Delay(300);
                }
            }
            else
            {
                await client.SendAsync(data);
            }
        }
        else
        {
            await client.SendAsync(data);
        }

        var after = await RepliesAsync(client);
        await client.SendAsync("QUIT\r\n");

        // Exactly one final reply: nothing answers the smuggled MAIL, RCPT or DATA.
        var final = Assert.Single(after);
        if (!final.StartsWith("250", StringComparison.Ordinal))
        {
            Assert.StartsWith("5", final, StringComparison.Ordinal);
            Assert.False(expected.TryGetProperty("messages_accepted", out _), $"{name} must be accepted: {final}");
            return;
        }

        var id = final[(final.IndexOf("id=", StringComparison.Ordinal) + 3)..].Trim();
        var delivered = await DeliveredAsync(id);
        Assert.DoesNotContain(fixture.Sink.Messages, m => m.Contains("Subject: SMUGGLED", StringComparison.Ordinal)
                                                         && !m.Contains("Subject: Smuggling probe", StringComparison.Ordinal));
        if (expected.TryGetProperty("stored_body_ends_with", out var end))
            Assert.EndsWith(Lf(Unescape(end.GetString()!)).TrimEnd('\n'), Lf(delivered).TrimEnd('\n'), StringComparison.Ordinal);
        if (expected.TryGetProperty("stored_message_hex", out var stored))
            Assert.EndsWith(Lf(Bytes(stored.GetString()!)).TrimEnd('\n'), Lf(delivered).TrimEnd('\n'), StringComparison.Ordinal);
    }
}
