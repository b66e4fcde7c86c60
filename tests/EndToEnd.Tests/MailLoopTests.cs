using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Loop and size defences at the end of data, with swaks as the client: Exim's
/// <c>received_headers_max</c> (<c>Ingress:ReceivedHeadersMax</c>, 30) and
/// <c>header_maxsize</c> (<c>Ingress:HeaderMax</c>, 20,000 bytes in this fixture).
/// </summary>
public sealed class mail_loops_and_header_limits(PipelineFixture fixture) : IClassFixture<PipelineFixture>
{
    private static string WithReceived(int count, TestMessage message) =>
        string.Concat(Enumerable.Range(1, count).Select(i => $"Received: from hop{i}.test by hop{i + 1}.test; Mon, 7 Dec 2026 12:00:00 +0000\r\n"))
        + message.Content;

    [Fact]
    public async Task a_message_that_has_passed_more_relays_than_the_limit_is_refused_as_a_loop()
    {
        var message = new TestMessage();
        var swaks = await Swaks.SendAsync(fixture.Settings.SmtpPort, WithReceived(31, message), "--from", "s@origin.test", "--to", "a@example.test");
        swaks.AssertRefusedWith("550 5.4.6 Too many \"Received\" headers - suspected mail loop");

        // The limit itself is allowed, and the message goes on with every trace field and ours on top.
        var atLimit = new TestMessage();
        var accepted = await Swaks.SendAsync(fixture.Settings.SmtpPort, WithReceived(30, atLimit), "--from", "s@origin.test", "--to", "a@example.test");
        Assert.NotNull(accepted.MessageId);
        var delivered = Assert.Single(await fixture.DeliveredAsync(accepted.MessageId!, atLimit.Subject));
        Assert.Equal(30, delivered.Split('\n').Count(l => l.StartsWith("Received: from hop", StringComparison.Ordinal)));
        Assert.Contains($"id {accepted.MessageId}", delivered, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Sink.Messages, m => m.Contains(message.Subject, StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_header_section_past_the_limit_is_refused_with_552_and_the_session_goes_on()
    {
        var message = new TestMessage();
        var padding = string.Concat(Enumerable.Range(1, 25).Select(i => $"X-Padding-{i}: {new string('p', 900)}\r\n"));
        var swaks = await Swaks.SendAsync(fixture.Settings.SmtpPort, padding + message.Content, "--from", "s@origin.test", "--to", "a@example.test");
        swaks.AssertRefusedWith("552 5.3.4 Message header section exceeds maximum permitted");

        // The same bytes in the body are fine: only the header section is limited.
        var body = new TestMessage();
        var accepted = await Swaks.SendAsync(fixture.Settings.SmtpPort, body.Content + padding, "--from", "s@origin.test", "--to", "a@example.test");
        Assert.NotNull(accepted.MessageId);
        Assert.Single(await fixture.DeliveredAsync(accepted.MessageId!, body.Subject));
    }
}
