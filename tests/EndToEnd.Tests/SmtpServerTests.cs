using System.Text.Json;
using System.Text.RegularExpressions;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Ingress as an SMTP server, driven byte for byte by a raw client where swaks cannot go:
/// synchronization, pipelining, BDAT, envelope parameters, relay control, SMTP smuggling and
/// limits. Every accepted message is checked at the smtp-sink it is delivered to.
/// </summary>
public sealed partial class the_smtp_server(PipelineFixture fixture) : IClassFixture<PipelineFixture>
{
    private int Port => fixture.Settings.SmtpPort;

    private async Task<RawSmtpClient> OpenAsync(string? from = null)
    {
        var client = await RawSmtpClient.ConnectAsync(Port, from);
        Assert.StartsWith("220 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("250-", await client.CommandAsync("EHLO client.test"), StringComparison.Ordinal);
        return client;
    }

    private static string IdOf(string reply) =>
        IdReply().Match(reply) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException($"no id in: {reply}");

    [GeneratedRegex(@"^250 2\.0\.0 OK id=(\S+)$")]
    private static partial Regex IdReply();

    private async Task<JsonElement> ReceivedEventAsync(string id) =>
        (await fixture.History.GetJsonAsync($"/messages/{id}/events"))!.Value[0].GetProperty("data");

    [Fact]
    public async Task advertises_its_extensions_after_ehlo()
    {
        await using var client = await RawSmtpClient.ConnectAsync(Port);
        await client.ReadReplyAsync();
        var ehlo = await client.CommandAsync("EHLO client.test");
        foreach (var keyword in new[] { "SIZE 100000", "8BITMIME", "PIPELINING", "CHUNKING", "SMTPUTF8", "DSN", "ENHANCEDSTATUSCODES" })
            Assert.Contains($"\n250-{keyword}", ehlo + "\n", StringComparison.Ordinal);
    }

    [Fact]
    public async Task gives_enhanced_status_codes_after_ehlo_and_none_after_helo()
    {
        await using (var esmtp = await OpenAsync())
        {
            Assert.Equal("250 2.1.0 OK", await esmtp.CommandAsync("MAIL FROM:<s@origin.test>"));
            Assert.Equal("250 2.1.5 Accepted", await esmtp.CommandAsync("RCPT TO:<a@example.test>"));
            Assert.Equal("503 5.5.1 sender already given", await esmtp.CommandAsync("MAIL FROM:<s@origin.test>"));
            Assert.Equal("250 2.0.0 OK", await esmtp.CommandAsync("RSET"));
        }

        await using var smtp = await RawSmtpClient.ConnectAsync(Port);
        await smtp.ReadReplyAsync();
        Assert.StartsWith("250 ", await smtp.CommandAsync("HELO client.test"), StringComparison.Ordinal);
        Assert.Equal("250 OK", await smtp.CommandAsync("MAIL FROM:<s@origin.test>"));
        Assert.Equal("250 Accepted", await smtp.CommandAsync("RCPT TO:<a@example.test>"));
        Assert.Equal("503 sender already given", await smtp.CommandAsync("MAIL FROM:<s@origin.test>"));
    }

    [Fact]
    public async Task drops_a_client_that_talks_before_the_greeting()
    {
        await using var client = await RawSmtpClient.ConnectAsync(Port);
        await client.SendAsync("EHLO eager.test\r\n");
        Assert.StartsWith("554 SMTP synchronization error", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.True(await client.ClosedAsync());
    }

    [Fact]
    public async Task drops_input_pipelined_after_a_command_that_must_end_a_group()
    {
        await using var client = await RawSmtpClient.ConnectAsync(Port);
        await client.ReadReplyAsync();
        await client.SendAsync("EHLO client.test\r\nMAIL FROM:<s@origin.test>\r\n");
        Assert.StartsWith("554 SMTP synchronization error", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.True(await client.ClosedAsync());
    }

    [Fact]
    public async Task drops_pipelined_input_from_a_client_that_said_helo()
    {
        await using var client = await RawSmtpClient.ConnectAsync(Port);
        await client.ReadReplyAsync();
        Assert.StartsWith("250 ", await client.CommandAsync("HELO client.test"), StringComparison.Ordinal);
        await client.SendAsync("MAIL FROM:<s@origin.test>\r\nRCPT TO:<a@example.test>\r\n");
        Assert.StartsWith("554 SMTP synchronization error", await client.ReadReplyAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task accepts_a_pipelined_transaction()
    {
        await using var client = await OpenAsync();
        var subject = $"pipelined-{Guid.NewGuid():N}";
        await client.SendAsync("MAIL FROM:<s@origin.test>\r\nRCPT TO:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n");
        Assert.StartsWith("250", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("354", await client.ReadReplyAsync(), StringComparison.Ordinal);
        await client.SendAsync($"Subject: {subject}\r\n\r\n..dot\r\n.\r\nQUIT\r\n");
        var id = IdOf(await client.ReadReplyAsync());
        Assert.StartsWith("221", await client.ReadReplyAsync(), StringComparison.Ordinal);

        var delivered = Assert.Single(await fixture.DeliveredAsync(id, subject));
        Assert.Contains("X-Rcpt-Args: <a@example.test>", delivered, StringComparison.Ordinal);
        Assert.Contains("X-Rcpt-Args: <b@example.test>", delivered, StringComparison.Ordinal);
        Assert.EndsWith($"Subject: {subject}\n\n.dot\n", delivered.TrimEnd('\n') + "\n", StringComparison.Ordinal);
    }

    [Fact]
    public async Task accepts_pipelined_bdat_chunks_as_they_are()
    {
        await using var client = await OpenAsync();
        var subject = $"bdat-{Guid.NewGuid():N}";
        var first = $"Subject: {subject}\r\n\r\n.not stuffed\r\n";
        var second = "second chunk\r\n.\r\nlast line\r\n";
        await client.SendAsync($"MAIL FROM:<s@origin.test> BODY=8BITMIME\r\nRCPT TO:<a@example.test>\r\n" +
                               $"BDAT {first.Length}\r\n{first}BDAT {second.Length} LAST\r\n{second}");
        Assert.StartsWith("250", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.Equal($"250 2.0.0 {first.Length} octets received", await client.ReadReplyAsync());
        var id = IdOf(await client.ReadReplyAsync());

        var delivered = Assert.Single(await fixture.DeliveredAsync(id, subject));
        var body = delivered[delivered.IndexOf($"Subject: {subject}", StringComparison.Ordinal)..];
        Assert.Equal((first + second).Replace("\r\n", "\n", StringComparison.Ordinal), body.TrimEnd('\n') + "\n");
        Assert.Equal("8BITMIME", (await ReceivedEventAsync(id)).GetProperty("bodyType").GetString());
    }

    [Fact]
    public async Task takes_a_message_from_swaks_with_pipelining()
    {
        var message = new TestMessage();
        var swaks = await Swaks.SendAsync(Port, message.Content, "--pipeline", "--from", "s@origin.test", "--to", "a@example.test,b@example.test");
        Assert.True(swaks.MessageId is not null, swaks.Transcript);
        Assert.Contains("-> MAIL FROM:<s@origin.test>\n -> RCPT TO:<a@example.test>\n -> RCPT TO:<b@example.test>\n -> DATA", swaks.Transcript, StringComparison.Ordinal);
        message.AssertDelivered(Assert.Single(await fixture.DeliveredAsync(swaks.MessageId, message.Subject)), swaks.MessageId);
    }

    [Fact]
    public async Task reads_and_refuses_a_bdat_chunk_without_a_transaction()
    {
        await using var client = await OpenAsync();
        await client.SendAsync("BDAT 5 LAST\r\nabcde");
        Assert.StartsWith("503", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("NOOP"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task carries_dsn_parameters_with_the_message()
    {
        await using var client = await OpenAsync();
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<s@origin.test> RET=HDRS ENVID=env+2Bid SIZE=200"), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<a@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+40example.test"), StringComparison.Ordinal);
        Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
        var id = IdOf(await client.CommandAsync("Subject: dsn\r\n\r\nhi\r\n."));

        var received = await ReceivedEventAsync(id);
        Assert.Equal("HDRS", received.GetProperty("dsnReturn").GetString());
        Assert.Equal("env+id", received.GetProperty("dsnEnvelopeId").GetString());
        var recipient = received.GetProperty("recipients")[0];
        Assert.Equal("SUCCESS,FAILURE", recipient.GetProperty("notify").GetString());
        Assert.Equal("rfc822;a+40example.test", recipient.GetProperty("originalRecipient").GetString());
    }

    [Theory]
    [InlineData("MAIL FROM:<s@origin.test> RET=MAYBE", "501")]
    [InlineData("MAIL FROM:<s@origin.test> ENVID=bad=xtext", "501")]
    [InlineData("MAIL FROM:<s@origin.test> BODY=BINARYMIME", "501")]
    [InlineData("MAIL FROM:<s@origin.test> SIZE=100001", "552")]
    [InlineData("MAIL FROM:<s@origin.test> XYZZY=1", "555")]
    [InlineData("MAIL FROM:s@origin.test", "501")]
    public async Task refuses_bad_mail_commands_with_the_right_code(string command, string code)
    {
        await using var client = await OpenAsync();
        Assert.StartsWith(code, await client.CommandAsync(command), StringComparison.Ordinal);
    }

    [Fact]
    public async Task takes_utf8_addresses_only_with_smtputf8()
    {
        await using var client = await OpenAsync();
        Assert.StartsWith("553", await client.CommandAsync("MAIL FROM:<jürgen@origin.test>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<jürgen@origin.test> SMTPUTF8"), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<δοκιμή@example.test>"), StringComparison.Ordinal);
        Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
        var id = IdOf(await client.CommandAsync("Subject: utf8\r\n\r\nhi\r\n."));

        var received = await ReceivedEventAsync(id);
        Assert.True(received.GetProperty("smtpUtf8").GetBoolean());
        Assert.Equal("utf8smtp", received.GetProperty("protocol").GetString());
        Assert.Equal("jürgen@origin.test", received.GetProperty("sender").GetString());
        Assert.Equal("δοκιμή@example.test", received.GetProperty("recipients")[0].GetProperty("address").GetString());
    }

    [Fact]
    public async Task exim_relays_smtputf8_mail_with_8bit_content_in_bdat_chunks()
    {
        using var exim = new EximClient(Port);
        var subject = $"eai-{Guid.NewGuid():N}";
        var output = await exim.SubmitSmtpAsync("EHLO client.test\r\nMAIL FROM:<jürgen@origin.test> SMTPUTF8 BODY=8BITMIME\r\n" +
            $"RCPT TO:<δοκιμή@example.test>\r\nDATA\r\nSubject: {subject}\r\n\r\nGrüße, ½ € — 8 bits\r\n.\r\nQUIT\r\n");
        var log = exim.MainLog;

        // Exim 4.96 passes SMTPUTF8 on from a -bs submission but not BODY=8BITMIME; the
        // raw-client BDAT test above checks that parameter. K: Exim sent the message with BDAT (RFC 3030) because ingress offered CHUNKING.
        Assert.Matches(@"=> δοκιμή@example\.test R=to_pipeline T=pipeline_smtp H=127\.0\.0\.1 \[127\.0\.0\.1\] .*K C=""250 2\.0\.0 OK id=", log);
        var id = System.Text.RegularExpressions.Regex.Match(log, @"250 2\.0\.0 OK id=([^""\s]+)").Groups[1].Value;
        var received = await ReceivedEventAsync(id);
        Assert.True(received.GetProperty("smtpUtf8").GetBoolean(), output + log);
        Assert.Equal("utf8smtp", received.GetProperty("protocol").GetString());
        Assert.Equal("jürgen@origin.test", received.GetProperty("sender").GetString());

        // The bytes are stored as they came ...
        await using (var database = Npgsql.NpgsqlDataSource.Create(TestEnvironment.Postgres))
        await using (var query = database.CreateCommand($"select data from {fixture.Settings.Schema}.message_data where message_id = $1"))
        {
            query.Parameters.AddWithValue(id);
            var stored = System.Text.Encoding.UTF8.GetString((byte[])(await query.ExecuteScalarAsync())!);
            Assert.Contains($"Subject: {subject}\r\n", stored, StringComparison.Ordinal);
            Assert.EndsWith("\r\n\r\nGr\u00fc\u00dfe, \u00bd \u20ac \u2014 8 bits\r\n", stored, StringComparison.Ordinal);
        }

        // ... and smtp-sink, which does not offer SMTPUTF8, never gets a message that needs it (RFC 6531 §3.4).
        var names = await fixture.History.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30));
        Assert.Equal(["msg:received", "msg:fail:delivery", "msg:complete"], names);
        var failure = (await fixture.History.GetJsonAsync($"/messages/{id}/events"))!.Value[1].GetProperty("data").GetProperty("eventData").GetString();
        Assert.StartsWith("the message needs SMTPUTF8", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task refuses_to_relay_unless_the_client_is_in_relay_from_hosts()
    {
        await using (var outsider = await OpenAsync())
        {
            Assert.StartsWith("250", await outsider.CommandAsync("MAIL FROM:<s@origin.test>"), StringComparison.Ordinal);
            Assert.Equal("550 5.7.1 relay not permitted", await outsider.CommandAsync("RCPT TO:<x@elsewhere.test>"));
            Assert.StartsWith("250", await outsider.CommandAsync("RCPT TO:<x@example.test>"), StringComparison.Ordinal);
        }

        await using var relay = await OpenAsync(from: "127.0.0.2");
        Assert.StartsWith("250", await relay.CommandAsync("MAIL FROM:<s@origin.test>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await relay.CommandAsync("RCPT TO:<x@elsewhere.test>"), StringComparison.Ordinal);
    }

    // The published SMTP smuggling variants (SEC Consult, 2023): a fake end of data followed
    // by a second transaction. Only CRLF.CRLF ends the data, so the sink must receive exactly
    // one message, holding the would-be second one as content.
    [Theory]
    [InlineData("\n.\n")]
    [InlineData("\n.\r\n")]
    [InlineData("\r.\r")]
    [InlineData("\r\n.\r")]
    [InlineData("\r.\r\n")]
    [InlineData("\r\n.\n")]
    [InlineData("\n.\r")]
    [InlineData("\r.\n")]
    [InlineData("\r\n\x00.\r\n")]
    public async Task lets_no_smuggled_message_through(string fakeEnd)
    {
        await using var client = await OpenAsync();
        var subject = $"smuggle-{Guid.NewGuid():N}";
        var smuggled = $"smuggled-{Guid.NewGuid():N}";
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<s@origin.test>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<a@example.test>"), StringComparison.Ordinal);
        Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
        await client.SendAsync($"Subject: {subject}\r\n\r\nbody{fakeEnd}MAIL FROM:<evil@attacker.test>\r\nRCPT TO:<victim@example.test>\r\n" +
                               $"DATA\r\nSubject: {smuggled}\r\n\r\nevil\r\n.\r\nQUIT\r\n");
        var id = IdOf(await client.ReadReplyAsync());
        Assert.StartsWith("221", await client.ReadReplyAsync(), StringComparison.Ordinal);

        var delivered = Assert.Single(await fixture.DeliveredAsync(id, subject));
        Assert.Contains("MAIL FROM:<evil@attacker.test>", delivered, StringComparison.Ordinal);
        Assert.Contains($"Subject: {smuggled}", delivered, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Sink.Messages, m => m.Contains(smuggled, StringComparison.Ordinal) && !m.Contains(subject, StringComparison.Ordinal));
        Assert.DoesNotContain("X-Rcpt-Args: <victim@example.test>", delivered, StringComparison.Ordinal);
    }

    [Fact]
    public async Task closes_on_a_command_line_past_the_limit()
    {
        await using var client = await OpenAsync();
        Assert.Equal("500 5.5.2 line too long", await client.CommandAsync("NOOP " + new string('x', 3000)));
        Assert.True(await client.ClosedAsync());
    }

    [Fact]
    public async Task refuses_a_message_over_the_size_limit_and_stays_in_step()
    {
        await using var client = await OpenAsync();
        var subject = $"big-{Guid.NewGuid():N}";
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<s@origin.test>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<a@example.test>"), StringComparison.Ordinal);
        Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
        var line = new string('y', 500) + "\r\n";
        await client.SendAsync($"Subject: {subject}\r\n\r\n" + string.Concat(Enumerable.Repeat(line, 300)));
        Assert.StartsWith("552", await client.CommandAsync("."), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("NOOP"), StringComparison.Ordinal);

        // A small message on the same connection is taken and delivered: it is the only message
        // the connection's log holds (the refused one would have come before it), and by the
        // time it reaches the sink, nothing of the refused one has.
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<s@origin.test>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<a@example.test>"), StringComparison.Ordinal);
        Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
        var marker = IdOf(await client.CommandAsync($"Subject: after-{subject}\r\n\r\nsmall\r\n."));
        await fixture.History.WaitForEventAsync(marker, "msg:complete", TimeSpan.FromSeconds(30));
        var connection = (await ReceivedEventAsync(marker)).GetProperty("connectionId").GetString();
        var received = await fixture.History.ReceivedOnConnectionAsync(connection!);
        Assert.Equal([marker], received);
        Assert.Contains(fixture.Sink.Messages, m => m.Contains($"after-{subject}", StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Sink.Messages, m => m.Contains($"Subject: {subject}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task refuses_a_message_with_a_text_line_past_the_limit()
    {
        await using var client = await OpenAsync();
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<s@origin.test>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<a@example.test>"), StringComparison.Ordinal);
        Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
        Assert.StartsWith("554", await client.CommandAsync("Subject: long\r\n\r\n" + new string('z', 2500) + "\r\n."), StringComparison.Ordinal);
    }

    [Fact]
    public async Task drops_a_client_after_too_many_unknown_commands()
    {
        await using var client = await OpenAsync();
        for (var i = 0; i < 3; i++)
            Assert.StartsWith("500 5.5.1 unrecognized command", await client.CommandAsync($"XYZZY{i}"), StringComparison.Ordinal);
        Assert.Equal("500 5.5.1 too many unrecognized commands", await client.CommandAsync("XYZZY3"));
        Assert.True(await client.ClosedAsync());
    }

    [Fact]
    public async Task answers_commands_out_of_sequence_and_drops_after_too_many()
    {
        await using var client = await OpenAsync();
        Assert.StartsWith("503", await client.CommandAsync("RCPT TO:<a@example.test>"), StringComparison.Ordinal);
        Assert.StartsWith("503", await client.CommandAsync("DATA"), StringComparison.Ordinal);
        Assert.StartsWith("501", await client.CommandAsync("MAIL FROM:nobrackets@origin.test"), StringComparison.Ordinal);
        var last = await client.CommandAsync("RCPT TO:<a@example.test>");
        Assert.Contains("too many syntax or protocol errors", last, StringComparison.Ordinal);
        Assert.True(await client.ClosedAsync());
    }
}
