using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Pipeline.EndToEnd.Tests.Fixtures;
using Xunit.Abstractions;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// The roles as separate processes on the real RabbitMQ and PostgreSQL, several of each,
/// under a load from smtp-source, with processes stopped (SIGTERM) and killed (SIGKILL) in the
/// middle of it. Counted at smtp-sink by smtp-source's Message-Id, and each copy tied to its
/// history by the id in the pipeline's Received header: nothing accepted is lost, and nothing
/// arrives twice but what docs/architecture.md says may (a message whose server's 250 came
/// in and whose outcome was not yet committed when its delivery process was killed).
/// </summary>
public sealed partial class roles_scaled_out(ITestOutputHelper output)
{
    private const string Sender = "sender@origin.test";
    private const string Recipient = "rcpt@example.test";

    // A copy of a message at the sink: smtp-source's Message-Id, the pipeline's id, when it came.
    private sealed record Copy(string MessageIdHeader, string PipelineId, DateTime ArrivedUtc);

    private sealed record Logged(long Sequence, string Name, string MessageId, DateTimeOffset Time);

    [Fact]
    public async Task a_sigkilled_delivery_process_loses_nothing_and_only_messages_in_flight_arrive_twice()
    {
        // bench/scaleout.sh sends 2,000; the suite a few hundred.
        var messages = int.TryParse(Environment.GetEnvironmentVariable("PIPELINE_SCALEOUT_MESSAGES"), out var asked) ? asked : 300;
        await using var sink = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        var processes = new List<PipelineProcess>();
        try
        {
            // A short lease: the killed process's claims come back within seconds (the heartbeat
            // renews the living ones' every second).
            var extra = Extra(sink, ("Delivery:ClaimLease", "00:00:03"));
            processes.Add(await PipelineProcess.StartAsync(settings.For("events", extra)));
            var started = await Task.WhenAll(
                PipelineProcess.StartAsync(settings.For("events", With(extra, ("Events:Listen", $"http://127.0.0.1:{FreePort.Next()}")))),
                PipelineProcess.StartAsync(settings.For("policy", extra)),
                PipelineProcess.StartAsync(settings.For("policy", extra)),
                PipelineProcess.StartAsync(settings.For("delivery", extra)),
                PipelineProcess.StartAsync(settings.For("delivery", extra)),
                PipelineProcess.StartAsync(settings.For("delivery", extra)),
                PipelineProcess.StartAsync(settings.For("ingress", extra)));
            processes.AddRange(started);
            var victim = started[3];
            string[] roles = ["events", "events", "policy", "policy", "delivery", "delivery", "delivery", "ingress"];
            var cpuAtStart = processes.Select(p => p.CpuTime).ToList();

            var load = SmtpSource.RunAsync(settings.SmtpPort, messages, 10, Sender, Recipient);
            var loadStarted = DateTime.UtcNow;
            await WaitForAsync(() => Copies(sink).Count >= messages / 5, TimeSpan.FromSeconds(60 + messages / 5), "the first fifth at the sink");
            await victim.KillAsync();
            var killedAt = DateTime.UtcNow;
            var delivered = Copies(sink).Count;
            output.WriteLine($"delivery process killed with {delivered} messages at the sink; it had logged {Count(victim.Output, "=>")} deliveries");
            var (exitCode, transcript) = await load;
            Assert.True(exitCode == 0, transcript);

            using var history = new HistoryClient(settings.HttpPort);
            var received = await LogAsync(history, "msg:received");
            Assert.Equal(messages, received.Count);
            await WaitForAsync(async () => (await LogAsync(history, "msg:complete")).Count >= messages, TimeSpan.FromSeconds(60 + messages / 5), "every msg:complete",
                () => IncompleteAsync(history));
            await WaitForAsync(() => Copies(sink).Select(c => c.MessageIdHeader).Distinct().Count() >= messages, TimeSpan.FromSeconds(30),
                "every message at the sink");

            // CPU per message and role, from the processes' own counters (the killed one's share is
            // carried by the other two delivery processes after the kill, and left out before it).
            var cpu = processes.Select((p, i) => (Role: roles[i], Used: p == victim ? TimeSpan.Zero : p.CpuTime - cpuAtStart[i]));
            output.WriteLine("CPU ms per message: " + string.Join(", ", cpu.GroupBy(c => c.Role)
                .Select(g => $"{g.Key} {g.Sum(c => c.Used.TotalMilliseconds) / messages:F2}")));
            var copies = Copies(sink);
            var deliveries = (await LogAsync(history, "msg:delivery")).ToLookup(e => e.MessageId);
            AssertHistoriesComplete(received, deliveries, await LogAsync(history, "msg:complete"), copies);
            var duplicates = copies.GroupBy(c => c.MessageIdHeader).Where(g => g.Count() > 1).ToList();
            foreach (var duplicate in duplicates)
            {
                var first = duplicate.Min(c => c.ArrivedUtc);
                var id = duplicate.First().PipelineId;
                var recorded = Assert.Single(deliveries[id]);
                output.WriteLine($"twice: {duplicate.Key} ({id}): first copy {(first - killedAt).TotalSeconds:F2} s from the kill, "
                                 + $"the one delivery recorded {(recorded.Time.UtcDateTime - killedAt).TotalSeconds:F2} s from it");
                // In flight at the kill: its first copy reached the sink by then (a dead process's
                // socket still sends what it had written), and its one recorded delivery is the
                // second, by another process, after it.
                Assert.Equal(2, duplicate.Count());
                Assert.True(first <= killedAt.AddSeconds(2), $"{duplicate.Key} first arrived {first:O}, after the kill at {killedAt:O}");
                Assert.True(recorded.Time.UtcDateTime >= killedAt.AddSeconds(-1), $"{id}'s recorded delivery predates the kill");
            }

            var lastArrival = copies.Max(c => c.ArrivedUtc);
            output.WriteLine($"{messages} sent, {received.Count} accepted, {copies.Select(c => c.MessageIdHeader).Distinct().Count()} at the sink, "
                             + $"{duplicates.Count} twice, all in flight at the kill; the last at the sink {(lastArrival - loadStarted).TotalSeconds:F1} s "
                             + $"after the load began ({messages / (lastArrival - loadStarted).TotalSeconds:F0} msg/s end to end, a kill included)");
        }
        finally
        {
            foreach (var process in processes)
                await process.DisposeAsync();
        }
    }

    [Fact]
    public async Task every_role_stopped_with_sigterm_under_load_loses_nothing_and_delivers_nothing_twice()
    {
        await using var sink = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        var processes = new List<PipelineProcess>();
        try
        {
            var extra = Extra(sink);
            var events = await PipelineProcess.StartAsync(settings.For("events", extra));
            processes.Add(events);
            var started = await Task.WhenAll(
                PipelineProcess.StartAsync(settings.For("policy", extra)),
                PipelineProcess.StartAsync(settings.For("policy", extra)),
                PipelineProcess.StartAsync(settings.For("delivery", extra)),
                PipelineProcess.StartAsync(settings.For("delivery", extra)),
                PipelineProcess.StartAsync(settings.For("ingress", extra)));
            processes.AddRange(started);
            var (policy, delivery, ingress) = (started[0], started[2], started[4]);

            // Under load: one policy and one delivery process, then events, are stopped; a new
            // events process takes the API's port.
            // Enough that the load still runs when the roles stop, however fast the machine is.
            var load = SmtpSource.RunAsync(settings.SmtpPort, 1000, 8, Sender, Recipient);
            await WaitForAsync(() => Copies(sink).Count >= 30, TimeSpan.FromSeconds(120), "30 messages at the sink");
            policy.Terminate();
            delivery.Terminate();
            events.Terminate();
            foreach (var stopped in new[] { policy, delivery, events })
                Assert.Equal(0, await stopped.WaitForExitAsync(TimeSpan.FromSeconds(40)));
            output.WriteLine($"policy, delivery and events stopped with {Copies(sink).Count} messages at the sink; load running: {!load.IsCompleted}");
            processes.Add(await PipelineProcess.StartAsync(settings.For("events", extra)));
            output.WriteLine($"events replaced with {Copies(sink).Count} messages at the sink; load running: {!load.IsCompleted}");
            var (_, firstTranscript) = await load;
            output.WriteLine(Tail(firstTranscript));

            // Ingress: one client in the middle of its content, one idle, more load; then SIGTERM.
            await using var writing = await RawSmtpClient.ConnectAsync(settings.SmtpPort);
            Assert.StartsWith("220", await writing.ReadReplyAsync(), StringComparison.Ordinal);
            Assert.StartsWith("250", await writing.CommandAsync("EHLO writer.test"), StringComparison.Ordinal);
            Assert.StartsWith("250", await writing.CommandAsync($"MAIL FROM:<{Sender}>"), StringComparison.Ordinal);
            Assert.StartsWith("250", await writing.CommandAsync($"RCPT TO:<{Recipient}>"), StringComparison.Ordinal);
            Assert.StartsWith("354", await writing.CommandAsync("DATA"), StringComparison.Ordinal);
            await writing.SendAsync("Message-Id: <written-through-shutdown@origin.test>\r\nSubject: in flight\r\n\r\nfirst half\r\n");
            await using var idle = await RawSmtpClient.ConnectAsync(settings.SmtpPort);
            Assert.StartsWith("220", await idle.ReadReplyAsync(), StringComparison.Ordinal);
            Assert.StartsWith("250", await idle.CommandAsync("EHLO idle.test"), StringComparison.Ordinal);
            // More than ingress can take in the half second before it is stopped: the load is cut off.
            var secondLoad = SmtpSource.RunAsync(settings.SmtpPort, 5000, 8, Sender, Recipient);
            await Task.Delay(500);
            ingress.Terminate();

            // The idle session is told at once; the one writing finishes its message, then is told.
            Assert.StartsWith("421", await idle.ReadReplyAsync(TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
            Assert.True(await idle.ClosedAsync());
            await Task.Delay(500);
            await writing.SendAsync("second half\r\n.\r\n");
            var accepted = await writing.ReadReplyAsync(TimeSpan.FromSeconds(15));
            Assert.StartsWith("250", accepted, StringComparison.Ordinal);
            Assert.StartsWith("421", await writing.CommandAsync($"MAIL FROM:<{Sender}>"), StringComparison.Ordinal);
            Assert.Equal(0, await ingress.WaitForExitAsync(TimeSpan.FromSeconds(40)));
            var (_, secondTranscript) = await secondLoad;
            output.WriteLine(Tail(secondTranscript));
            // The second load was cut off: a session under way was told 421; or, between two of
            // its one-message sessions, smtp-source found the listener closed (refused), or had
            // connected just as it closed, into the kernel's queue of connections ingress never
            // took (reset before any greeting). Any of them stops it.
            Assert.True(secondTranscript.Contains("421", StringComparison.Ordinal)
                || secondTranscript.Contains("Connection refused", StringComparison.Ordinal)
                || secondTranscript.Contains("lost connection while reading server greeting", StringComparison.Ordinal), secondTranscript);

            // Whatever was accepted arrives once, with its history complete.
            using var history = new HistoryClient(settings.HttpPort);
            var received = await LogAsync(history, "msg:received");
            var writtenId = Regex.Match(accepted, @"id=(\S+)").Groups[1].Value;
            Assert.Contains(received, e => e.MessageId == writtenId);
            await WaitForAsync(async () => (await LogAsync(history, "msg:complete")).Count >= received.Count, TimeSpan.FromSeconds(120),
                "every msg:complete", () => IncompleteAsync(history));
            await WaitForAsync(() => Copies(sink).Count >= received.Count, TimeSpan.FromSeconds(30), "every message at the sink");
            var copies = Copies(sink);
            AssertHistoriesComplete(received, (await LogAsync(history, "msg:delivery")).ToLookup(e => e.MessageId),
                await LogAsync(history, "msg:complete"), copies);
            // Said apart, so that a failure tells a duplicate from a message the log listed late.
            var twice = copies.GroupBy(c => c.MessageIdHeader).Where(g => g.Count() > 1).Select(g => $"{g.Key} ({g.First().PipelineId})").ToList();
            foreach (var duplicate in copies.GroupBy(c => c.MessageIdHeader).Where(g => g.Count() > 1))
            {
                output.WriteLine(await StoryAsync(history, duplicate.First().PipelineId, duplicate));
                // What each process wrote of it, and every warning and error: a cut attempt or a
                // failed commit says so there.
                for (var i = 0; i < processes.Count; i++)
                {
                    foreach (var line in processes[i].Output.Split('\n').Where(l => l.Contains(duplicate.First().PipelineId, StringComparison.Ordinal)
                                 || l.Contains("warn", StringComparison.OrdinalIgnoreCase) || l.Contains("fail", StringComparison.OrdinalIgnoreCase)))
                        output.WriteLine($"  process {i}: {line}");
                }
            }
            Assert.True(twice.Count == 0, "delivered twice: " + string.Join(", ", twice));
            var listed = (await LogAsync(history, "msg:received")).Select(e => e.MessageId).ToHashSet();
            var unlisted = copies.Where(c => !listed.Contains(c.PipelineId)).Select(c => c.PipelineId).ToList();
            Assert.True(unlisted.Count == 0, "at the sink, never received: " + string.Join(", ", unlisted));
            Assert.Equal(received.Count, copies.Count);
            output.WriteLine($"{received.Count} accepted, {copies.Count} at the sink, none twice");
        }
        finally
        {
            foreach (var process in processes)
                await process.DisposeAsync();
        }
    }

    // Every accepted message: one copy or more at the sink, one msg:delivery, one msg:complete, and
    // nothing at the sink that was not accepted.
    private static void AssertHistoriesComplete(IReadOnlyList<Logged> received, ILookup<string, Logged> deliveries,
        IReadOnlyList<Logged> completed, IReadOnlyList<Copy> copies)
    {
        var atSink = copies.Select(c => c.PipelineId).ToHashSet();
        var done = completed.Select(c => c.MessageId).ToList();
        Assert.Equal(done.Count, done.Distinct().Count());
        Assert.Equal(received.Select(r => r.MessageId).Order(), done.Order());
        foreach (var message in received)
        {
            Assert.Contains(message.MessageId, atSink);
            var delivery = Assert.Single(deliveries[message.MessageId]);
            Assert.True(delivery.Sequence > message.Sequence);
        }

        Assert.Subset(received.Select(r => r.MessageId).ToHashSet(), atSink);
    }

    private static Dictionary<string, string> Extra(SmtpSink sink, params (string Key, string Value)[] more)
    {
        var extra = PipelineSettings.RabbitMq();
        foreach (var (key, value) in PipelineSettings.Route("example.test", sink.Port))
            extra[key] = value;
        // Eight processes share two cores here: policy's answers may be slow, never refused for it.
        extra["Ingress:PolicyTimeout"] = "00:00:30";
        return With(extra, more);
    }

    private static Dictionary<string, string> With(Dictionary<string, string> settings, params (string Key, string Value)[] more)
    {
        var copy = new Dictionary<string, string>(settings);
        foreach (var (key, value) in more)
            copy[key] = value;
        return copy;
    }

    private static List<Copy> Copies(SmtpSink sink)
    {
        var copies = new List<Copy>();
        foreach (var file in sink.CompleteFiles)
        {
            var text = File.ReadAllText(file);
            var header = MessageIdHeader().Match(text);
            var id = PipelineId().Match(text);
            if (header.Success && id.Success)
                copies.Add(new Copy(header.Groups[1].Value, id.Groups[1].Value, File.GetLastWriteTimeUtc(file)));
        }

        return copies;
    }

    // The events of that name stored up to now: pages are read until their cursor passes the
    // last sequence stored when the call began (a page stops short of events still being
    // committed around it, and the reader then asks again).
    private static async Task<List<Logged>> LogAsync(HistoryClient history, string name)
    {
        var last = await history.LastSequenceAsync();
        var all = new List<Logged>();
        long after = 0;
        while (after < last)
        {
            var page = (await history.GetJsonAsync($"/events?after={after}&limit=1000&names={name}"))!.Value;
            var events = page.GetProperty("events").EnumerateArray().ToList();
            all.AddRange(events.Select(e => new Logged(e.GetProperty("sequence").GetInt64(), e.GetProperty("name").GetString()!,
                e.GetProperty("data").GetProperty("messageId").GetString()!, e.GetProperty("time").GetDateTimeOffset())));
            var next = page.GetProperty("next").GetInt64();
            if (next == after)
                await Task.Delay(100);
            after = next;
        }

        return all;
    }

    private static Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        WaitForAsync(() => Task.FromResult(condition()), timeout, what);

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<Task<string>>? explain = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out waiting for {what}" + (explain is null ? "" : ": " + await explain()));
            await Task.Delay(200);
        }
    }

    // The messages accepted and not complete, each with its history's names: what a wait for
    // every msg:complete saw when it gave up.
    // A duplicate's story, to tell its cause: the message's events with their times, and when
    // each copy arrived.
    private static async Task<string> StoryAsync(HistoryClient history, string messageId, IEnumerable<Copy> copies)
    {
        var events = (await history.GetJsonAsync($"/messages/{messageId}/events"))?.EnumerateArray()
            .Select(e => $"  {e.GetProperty("time")} {e.GetProperty("name").GetString()} {e.GetProperty("data")}") ?? [];
        return $"{messageId} arrived at {string.Join(", ", copies.Select(c => c.ArrivedUtc.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)))}:\n"
               + string.Join("\n", events);
    }

    private static async Task<string> IncompleteAsync(HistoryClient history)
    {
        var complete = (await LogAsync(history, "msg:complete")).Select(e => e.MessageId).ToHashSet();
        var incomplete = (await LogAsync(history, "msg:received")).Where(e => !complete.Contains(e.MessageId)).Take(10).ToList();
        var lines = new List<string>();
        foreach (var message in incomplete)
        {
            // The whole history: a deferral says why.
            var events = await history.GetJsonAsync($"/messages/{message.MessageId}/events");
            lines.Add($"{message.MessageId}: {events?.GetRawText()}");
        }
        return string.Join("; ", lines);
    }

    private static int Count(string text, string what) => Regex.Count(text, Regex.Escape(" " + what + " "));

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(5));

    [GeneratedRegex(@"^Message-Id: (<[^>\n]+>)", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex MessageIdHeader();

    [GeneratedRegex(@"\(Pipeline\)\s+id ([^\s;]+)")]
    private static partial Regex PipelineId();
}
