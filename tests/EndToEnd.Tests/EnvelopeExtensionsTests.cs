using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// What a message came with in its envelope goes on with it: BODY=8BITMIME and the DSN
/// parameters (RFC 6152, RFC 3461) reach smtp-sink's envelope dump; a server that
/// lacks what the message needs gets nothing, and the recipient fails with the reason.
/// </summary>
public sealed class envelope_extensions
{
    private static async Task<(string Id, HistoryClient History, PipelineProcess Pipeline)> SendAsync(SmtpSink sink, string mail, string rcpt, string body)
    {
        var settings = new PipelineSettings();
        var pipeline = await PipelineProcess.StartAsync(settings.For(extra: PipelineSettings.Route("example.test", sink.Port)));
        await using var client = await RawSmtpClient.ConnectAsync(settings.SmtpPort);
        await client.ReadReplyAsync();
        await client.CommandAsync("EHLO client.test");
        Assert.StartsWith("250", await client.CommandAsync(mail), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync(rcpt), StringComparison.Ordinal);
        Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
        var reply = await client.CommandAsync(body + "\r\n.");
        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        await client.CommandAsync("QUIT");
        return (reply[(reply.IndexOf("id=", StringComparison.Ordinal) + 3)..].Trim(), new HistoryClient(settings.HttpPort), pipeline);
    }

    [Fact]
    public async Task body_and_dsn_parameters_go_on_to_a_server_that_offers_them()
    {
        await using var sink = await SmtpSink.StartAsync();
        var (id, history, pipeline) = await SendAsync(sink,
            "MAIL FROM:<s@origin.test> BODY=8BITMIME RET=HDRS ENVID=a+2Bb",
            "RCPT TO:<a@example.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;a@example.test",
            "Subject: caf\u00e9\r\n\r\nna\u00efve");
        await using (pipeline)
        using (history)
            Assert.Equal("msg:delivery", (await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30)))[1]);

        var dumped = Assert.Single(sink.Messages);
        Assert.Contains("X-Mail-Args: <s@origin.test> BODY=8BITMIME RET=HDRS ENVID=a+2Bb\n", dumped, StringComparison.Ordinal);
        Assert.Contains("X-Rcpt-Args: <a@example.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;a@example.test\n", dumped, StringComparison.Ordinal);
        Assert.Contains("na\u00efve", dumped, StringComparison.Ordinal);
    }

    // smtp-sink never offers SMTPUTF8; -8 takes 8BITMIME away, -N only DSN.
    [Theory]
    [InlineData("-8", "MAIL FROM:<s@origin.test> BODY=8BITMIME", "RCPT TO:<a@example.test>", "the server does not offer 8BITMIME")]
    [InlineData("-N", "MAIL FROM:<s@origin.test> SMTPUTF8", "RCPT TO:<j\u00f6ran@example.test>", "which the server does not offer")]
    public async Task a_server_that_lacks_what_the_message_needs_gets_nothing(string sinkOption, string mail, string rcpt, string reason)
    {
        await using var sink = await SmtpSink.StartAsync(0, sinkOption);
        var (id, history, pipeline) = await SendAsync(sink, mail, rcpt, "Subject: t\r\n\r\nna\u00efve");
        await using (pipeline)
        using (history)
        {
            Assert.Equal(["msg:received", "msg:fail:delivery", "msg:complete"], await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30)));
            var failure = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value[1].GetProperty("data").GetProperty("eventData").GetString();
            Assert.Contains(reason, failure, StringComparison.Ordinal);
        }

        Assert.Empty(sink.Messages);
    }
}
