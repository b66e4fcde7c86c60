using System.Text.RegularExpressions;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// The open-relay battery of issue 15, from 127.0.0.1, a client that may send only to the local
/// domain <c>example.test</c>. An address whose final domain is local may be accepted however
/// odd its local part (<c>"a@b"@local</c> is a valid local address, and a source route's route
/// part is ignored, RFC 5321 §4.1.2 and appendix C); what must never happen is mail relayed to
/// another domain: every recipient smtp-sink sees is checked to be at <c>example.test</c>.
/// </summary>
public sealed partial class an_open_relay_probe(PipelineFixture fixture) : IClassFixture<PipelineFixture>
{
    public static TheoryData<string, string> Recipients => new()
    {
        // Refused: the final domain is not local, however it is dressed.
        { "<user@other.test>", "550" },
        { "<user@OTHER.test>", "550" },
        { "<user@other.test.>", "5" },
        { "<@example.test:user@other.test>", "550" },
        { "<@example.test,@example.test:user@other.test>", "550" },
        { "<user@[127.0.0.1]>", "550" },
        { "<user@[IPv6:::1]>", "550" },
        { "<\"user@example.test\"@other.test>", "550" },
        { "<user%example.test@other.test>", "550" },
        { "<example.test!user@other.test>", "550" },
        { "<user@example.test.other.test>", "550" },
        { "<user@other.test?@example.test>", "5" },
        { "<user@example.test@other.test>", "5" },
        { "<user@other.test%example.test>", "5" },
        { "<user@example.test\tother.test>", "5" },
        { "user@other.test", "5" },
        { "<user@example.test> <user@other.test>", "5" },
        // Accepted: the final domain is local; the rest is the local part, or a route to ignore.
        { "<user%other.test@example.test>", "250" },
        { "<other.test!user@example.test>", "250" },
        { "<\"user@other.test\"@example.test>", "250" },
        { "<@other.test:user@example.test>", "250" },
        { "<user@EXAMPLE.TEST>", "250" },
        { "<user=other.test@example.test>", "250" },
    };

    [Theory]
    [MemberData(nameof(Recipients))]
    public async Task relays_nothing_to_a_domain_that_is_not_local(string recipient, string expected)
    {
        await using var client = await RawSmtpClient.ConnectAsync(fixture.Settings.SmtpPort);
        Assert.StartsWith("220 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("250-", await client.CommandAsync("EHLO prober.test"), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<prober@origin.test>"), StringComparison.Ordinal);
        var reply = await client.CommandAsync($"RCPT TO:{recipient}");
        Assert.StartsWith(expected, reply, StringComparison.Ordinal);
        if (!reply.StartsWith('2'))
        {
            Assert.StartsWith("503", await client.CommandAsync("DATA"), StringComparison.Ordinal);
            return;
        }

        var subject = $"relay-probe-{Guid.NewGuid():N}";
        Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
        var accepted = await client.CommandAsync($"Subject: {subject}\r\n\r\nprobe\r\n.");
        var id = accepted.Split("id=") is [_, var rest] ? rest : throw new InvalidOperationException(accepted);
        var delivered = Assert.Single(await fixture.DeliveredAsync(id, subject));
        var recipients = RcptArgs().Matches(delivered).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(recipients);
        Assert.All(recipients, r => Assert.EndsWith("@example.test", r, StringComparison.OrdinalIgnoreCase));
    }

    // smtp-sink's record of each RCPT it took: the address, then any parameters.
    [GeneratedRegex(@"^X-Rcpt-Args: <([^>]*)>", RegexOptions.Multiline)]
    private static partial Regex RcptArgs();
}
