using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// A delivery claim is renewed while its attempt runs: an attempt held past
/// <c>Delivery:ClaimLease</c> by a server that stalls before its final reply is not claimed
/// again by a second delivery process polling the same queue, so the message goes out once.
/// </summary>
public sealed class claim_renewal
{
    [Fact]
    public async Task an_attempt_longer_than_the_lease_delivers_once_while_another_process_polls()
    {
        await using var exim = await EximServer.StartAsync();
        var settings = new PipelineSettings();
        var extra = PipelineSettings.Route("stall.test", exim.Port);
        extra["Delivery:ClaimLease"] = "00:00:01.500";
        extra["Delivery:RetryRules"] = "F,1h,10m";
        await using var first = await PipelineProcess.StartAsync(settings.For(extra: extra));
        await using var second = await PipelineProcess.StartAsync(settings.For("delivery", extra));

        var sender = $"stall-{Guid.NewGuid():N}@origin.test";
        var swaks = await Swaks.SendAsync(settings.SmtpPort, "X-Stall: yes\r\n" + new TestMessage().Content, "--from", sender, "--to", "x@stall.test");
        var id = swaks.MessageId ?? throw new InvalidOperationException(swaks.Transcript);
        using var history = new HistoryClient(settings.HttpPort);
        var names = await history.WaitForAttemptAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal(["msg:delivery", "msg:complete"], names.Where(n => n.StartsWith("msg:", StringComparison.Ordinal)).TakeLast(2));

        // A second attempt would have claimed the message one lease after the first began, during
        // Exim's 6 s stall, and reached Exim's log one stall later: watch the log that long.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(8);
        while (DateTime.UtcNow < deadline && Received(exim, sender) < 2)
            await Task.Delay(200);
        Assert.Equal(1, Received(exim, sender));
        Assert.DoesNotContain("lease ran out", first.Output + second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_claim_whose_attempt_is_being_recorded_is_not_taken_for_lost()
    {
        // Renewals every third of a second while a steady stream of short attempts commits: a renewal that
        // meets an attempt's outcome being committed waits for it, then finds the row gone.
        await using var sink = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        var extra = PipelineSettings.Route("example.test", sink.Port);
        extra["Delivery:ClaimLease"] = "00:00:01";
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: extra));
        const int Messages = 400;
        var (exitCode, output) = await SmtpSource.RunAsync(settings.SmtpPort, Messages, 10, "s@origin.test", "a@example.test");
        Assert.True(exitCode == 0, output);
        await sink.WaitForMessagesAsync(Messages, TimeSpan.FromSeconds(90));
        Assert.DoesNotContain("ran out before its attempt ended", pipeline.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_attempt_whose_claim_ran_out_leaves_the_message_due_at_once_not_at_its_retry_time()
    {
        // The route's first host accepts and never greets; while the attempt waits there, another
        // worker takes the message's claim (written here as a worker would). The attempt stops
        // before the second host, the sink; it records what it tried, and the message is due at
        // once, not in the retry rules' 10 minutes: no server deferred it.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        await using var sink = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        var extra = PipelineSettings.Route("example.test", ((IPEndPoint)silent.LocalEndpoint).Port, sink.Port);
        extra["Delivery:ClaimLease"] = "00:00:01.500";
        extra["Delivery:CommandTimeout"] = "00:00:04";
        extra["Delivery:RetryRules"] = "F,1h,10m";
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: extra));

        var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "s@origin.test", "--to", "a@example.test");
        var id = swaks.MessageId ?? throw new InvalidOperationException(swaks.Transcript);
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            using var waiting = await silent.AcceptTcpClientAsync(cts.Token);
            Assert.Equal(1, await TestDatabase.ExecuteAsync(
                $"update {settings.Schema}.delivery_queue set claimed_by = 'another worker', claimed_until = now() + interval '3 seconds' " +
                "where message_id = $1", id));
            await Task.Delay(TimeSpan.FromSeconds(5)); // past the command timeout: the attempt moves on
        }

        using var history = new HistoryClient(settings.HttpPort);
        var names = await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30));
        Assert.Contains("msg:defer", names);
        Assert.Equal(["msg:delivery", "msg:complete"], names.Where(n => n.StartsWith("msg:", StringComparison.Ordinal)).TakeLast(2));
        await pipeline.WaitForOutputAsync($"The claim on {id} ran out before its attempt ended");
        var dumped = Assert.Single(await sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Contains($"id {id}", dumped, StringComparison.Ordinal);
    }

    // Exim's <= lines of the message (its sender is unique to this test run).
    private static int Received(EximServer exim, string sender) =>
        Regex.Count(exim.MainLog, " <= " + Regex.Escape(sender) + " ");
}
