using System.Text.Json;
using System.Text.RegularExpressions;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Delivery to a smarthost that wants SMTP AUTH (RFC 4954): Exim 4.96 with plaintext server
/// authenticators advertised only over TLS, relaying for authenticated clients to smtp-sink.
/// The route's credentials go with PLAIN (or LOGIN where only that is offered) after STARTTLS;
/// a wrong password defers the message (retry error <c>auth_failed</c>). Exim offers CHUNKING,
/// so the message goes in BDAT (RFC 3030), which its main log marks with <c>K</c>.
/// </summary>
public sealed class smarthost_auth_and_chunking : IDisposable
{
    private const string WrongPassword = "wrong-Secret-8c2b5a";

    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private static Dictionary<string, string> Options(int port, string password)
    {
        var extra = PipelineSettings.Route("example.test", port);
        extra["Delivery:Routes:0:AuthUser"] = EximSmarthost.User;
        extra["Delivery:Routes:0:AuthPassword"] = password;
        extra["Delivery:RetryRules"] = "F,1h,1m";
        extra["Delivery:Retry:0"] = "*  auth_failed  F,1h,37m";
        return extra;
    }

    private static async Task<(string Id, TestMessage Message)> SendAsync(PipelineSettings settings)
    {
        var message = new TestMessage();
        var swaks = await Swaks.SendAsync(settings.SmtpPort, message.Content, "--from", "sender@origin.test", "--to", "a@example.test");
        Assert.True(swaks.MessageId is not null, swaks.Transcript);
        return (swaks.MessageId, message);
    }

    // Exim's <= line for the message the pipeline delivered as id.
    private static string ReceivedLine(string mainLog, string subjectId) =>
        mainLog.Split('\n').Single(l => l.Contains(" <= ", StringComparison.Ordinal) && l.Contains(subjectId, StringComparison.Ordinal));

    [Fact]
    public async Task the_credentials_go_with_plain_over_tls_and_the_message_arrives_byte_exact_through_bdat()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var exim = await EximSmarthost.StartAsync(_pki, sink.Port);
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: Options(exim.Port, EximSmarthost.Password)));

        var (id, message) = await SendAsync(settings);
        using var history = new HistoryClient(settings.HttpPort);
        Assert.Equal(["msg:received", "msg:delivery", "msg:complete"], await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30)));

        // Exim's <= line for the message, found by the id Exim gave it in its reply to the last BDAT.
        var delivery = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value[1].GetProperty("data");
        var eximId = Regex.Match(delivery.GetProperty("eventData").GetString()!, @"id=(\S+)").Groups[1].Value;
        Assert.NotEmpty(eximId);
        var received = ReceivedLine(await exim.WaitForMainLogAsync($"{eximId} <= ", TimeSpan.FromSeconds(10)), eximId);
        Assert.Contains($" A=plain:{EximSmarthost.User} ", received, StringComparison.Ordinal);
        Assert.Contains(" P=esmtpsa ", received, StringComparison.Ordinal);
        Assert.Matches(" K ", received);

        var dumped = Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)));
        message.AssertDelivered(dumped, id);
    }

    [Fact]
    public async Task login_is_used_where_the_smarthost_offers_only_login()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var exim = await EximSmarthost.StartAsync(_pki, sink.Port, "LOGIN");
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: Options(exim.Port, EximSmarthost.Password)));

        var (id, message) = await SendAsync(settings);
        using var history = new HistoryClient(settings.HttpPort);
        Assert.Equal("msg:delivery", (await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30)))[1]);
        await exim.WaitForMainLogAsync($" A=login:{EximSmarthost.User} ", TimeSpan.FromSeconds(10));
        message.AssertDelivered(Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30))), id);
    }

    [Fact]
    public async Task a_wrong_password_defers_the_message_as_the_auth_failed_line_says_and_is_never_logged()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var exim = await EximSmarthost.StartAsync(_pki, sink.Port);
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: Options(exim.Port, WrongPassword)));

        var (id, _) = await SendAsync(settings);
        using var history = new HistoryClient(settings.HttpPort);
        Assert.Equal(["msg:received", "msg:host:defer", "msg:defer"], await history.WaitForEventAsync(id, "msg:defer", TimeSpan.FromSeconds(30)));
        var events = (await history.GetJsonAsync($"/messages/{id}/events"))!.Value.EnumerateArray().Select(e => e.GetProperty("data")).ToList();
        var deferred = events[1];
        Assert.Equal("auth_failed", deferred.GetProperty("errorType").GetString());
        Assert.StartsWith($"SMTP error from remote mail server after AUTH PLAIN as {EximSmarthost.User}: 535 ",
            deferred.GetProperty("eventData").GetString(), StringComparison.Ordinal);
        var arrived = events[0].GetProperty("receivedAt").GetDateTimeOffset();
        Assert.Equal(TimeSpan.FromMinutes(37), events[2].GetProperty("nextAttemptAt").GetDateTimeOffset() - arrived);
        Assert.Equal("*  auth_failed  F,1h,37m", events[2].GetProperty("retryRule").GetString());

        await exim.WaitForMainLogAsync("authenticator failed", TimeSpan.FromSeconds(10));
        await pipeline.WaitForOutputAsync($"{id} == a@example.test");
        Assert.DoesNotContain(WrongPassword, pipeline.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongPassword, JsonSerializer.Serialize(events), StringComparison.Ordinal);
        Assert.Empty(sink.Messages);
    }
}
