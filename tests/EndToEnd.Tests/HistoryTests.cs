using System.Net;
using System.Text.Json;
using Npgsql;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// The history of 100 messages with mixed fates (delivered; deferred, then delivered; bounced;
/// refused at RCPT; refused for one recipient with PRDR): each has a complete history in
/// order and a summary that says what happened; the projections agree with the log, and
/// rebuilding every one of them from the log gives the same state.
/// </summary>
public sealed class message_histories
{
    private enum Fate { Delivered, DeferredThenDelivered, Bounced, RefusedAtRcpt, RefusedWithPrdr }

    private sealed record Sent(int Number, Fate Fate, string Sender, string Recipient, string? MessageId);

    [Fact]
    public async Task a_hundred_messages_with_mixed_fates_each_have_a_complete_history_and_summary_and_a_rebuild_changes_nothing()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var refusing = await SmtpSink.StartAsync(0, "-f", "RCPT");
        var laterPort = FreePort.Next(); // nothing listens there until the later messages have been deferred
        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: new Dictionary<string, string>
        {
            ["Delivery:Routes:0:Domains:0"] = "ok.test",
            ["Delivery:Routes:0:Domains:1"] = "origin.test",
            ["Delivery:Routes:0:Hosts:0"] = $"127.0.0.1:{sink.Port}",
            ["Delivery:Routes:1:Domains:0"] = "later.test",
            ["Delivery:Routes:1:Hosts:0"] = $"127.0.0.1:{laterPort}",
            ["Delivery:Routes:2:Domains:0"] = "refuse.test",
            ["Delivery:Routes:2:Hosts:0"] = $"127.0.0.1:{refusing.Port}",
            ["Delivery:RetryRules"] = "F,1h,1s",
            ["Delivery:ConnectTimeout"] = "00:00:02",
            ["Delivery:ConnectionIdleTimeout"] = "00:00:00", // no connection left open to close later
            ["Ingress:PrdrEnable"] = "true",
            ["Policy:Verdicts:0:Stage"] = "Rcpt",
            ["Policy:Verdicts:0:Recipients:0"] = "*@blocked.test",
            ["Policy:Verdicts:0:Action"] = "Deny",
            ["Policy:Verdicts:0:Message"] = "no mail for blocked.test",
            ["Policy:Verdicts:1:Stage"] = "Prdr",
            ["Policy:Verdicts:1:Recipients:0"] = "*@prdr-no.test",
            ["Policy:Verdicts:1:Action"] = "Deny",
            ["Policy:Verdicts:1:Message"] = "this content is not wanted",
        }));
        using var history = new HistoryClient(settings.HttpPort);

        // 100 messages, 20 of each fate, four clients at a time.
        var sent = new List<Sent>();
        using var gate = new SemaphoreSlim(4);
        await Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var fate = (Fate)(i % 5);
                var sender = $"s{i}@origin.test";
                var (recipient, extra) = fate switch
                {
                    Fate.Delivered => ($"d{i}@ok.test", Array.Empty<string>()),
                    Fate.DeferredThenDelivered => ($"l{i}@later.test", []),
                    Fate.Bounced => ($"b{i}@refuse.test", []),
                    Fate.RefusedAtRcpt => ($"r{i}@blocked.test", []),
                    _ => ($"p{i}@ok.test", ["--prdr", "--to", $"p{i}@ok.test,n{i}@prdr-no.test"]),
                };
                string[] arguments = extra.Length > 0 ? ["--from", sender, .. extra] : ["--from", sender, "--to", recipient];
                var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, arguments);
                if (fate == Fate.RefusedAtRcpt)
                    Assert.Contains("550 5.7.1 no mail for blocked.test", swaks.Transcript, StringComparison.Ordinal);
                else
                    Assert.True(swaks.MessageId is not null, swaks.Transcript);
                lock (sent)
                    sent.Add(new Sent(i, fate, sender, recipient, swaks.MessageId));
            }
            finally
            {
                gate.Release();
            }
        }));
        var accepted = sent.Where(s => s.Fate != Fate.RefusedAtRcpt).ToList();

        // The later messages wait for their server, which then comes up.
        foreach (var s in accepted.Where(s => s.Fate == Fate.DeferredThenDelivered))
            await history.WaitForEventAsync(s.MessageId!, "msg:defer", TimeSpan.FromSeconds(60));
        await using var later = await SmtpSink.StartAsync(laterPort);
        foreach (var s in accepted)
            await history.WaitForEventAsync(s.MessageId!, "msg:complete", TimeSpan.FromSeconds(60));

        foreach (var s in accepted)
            await AssertHistoryAsync(history, s);
        await AssertRefusalsAtRcptAsync(history, sent.Where(s => s.Fate == Fate.RefusedAtRcpt).ToList());

        // Every bounce is a message of its own, from <>, delivered to the sender.
        foreach (var s in accepted.Where(s => s.Fate == Fate.Bounced))
            await WaitForBounceAsync(history, s.Sender);

        // The projections agree with the log: a search answers what each message's own page
        // (folded from its stream on the spot) says, and the queue is empty.
        await WaitForQuietAsync(history);
        await history.WaitForProjectionsAsync(TimeSpan.FromSeconds(60));
        var projected = await AllSummariesAsync(history);
        Assert.Equal(80 + 20, projected.Count); // 80 accepted, 20 bounces
        foreach (var s in accepted)
        {
            var live = (await history.GetJsonAsync($"/messages/{s.MessageId}"))!.Value;
            Assert.Equal(live.GetRawText(), projected[s.MessageId!].GetRawText());
        }

        Assert.Equal(0, (await history.GetJsonAsync("/queue"))!.Value.GetProperty("count").GetInt32());
        var delivered = (await history.GetJsonAsync("/stats/hourly?names=msg:delivery"))!.Value.EnumerateArray()
            .ToDictionary(c => c.GetProperty("domain").GetString()!, c => c.GetProperty("count").GetInt64());
        Assert.Equal(20, delivered["later.test"]);
        Assert.Equal(40, delivered["ok.test"]);
        Assert.Equal(20, delivered["origin.test"]);
        Assert.False(delivered.ContainsKey("refuse.test"));

        // Rebuilding every projection from the log gives the same documents, even where they
        // were lost or damaged.
        var before = await SettledProjectionTablesAsync(settings.Schema);
        await TestDatabase.ExecuteAsync($"delete from {settings.Schema}.mt_doc_messagesummary where data->>'Sender' = ''; " +
                           $"update {settings.Schema}.mt_doc_eventcount set data = jsonb_set(data, '{{Count}}', '0'); " +
                           $"delete from {settings.Schema}.mt_doc_recipientdelivery");
        var (status, body) = await history.PostJsonAsync("/projections/all/rebuild");
        Assert.True(status == HttpStatusCode.OK, body.ToString()); // answered once the rebuilds reached the end of the log
        var after = await ProjectionTablesAsync(settings.Schema);
        Assert.Equal(before.Keys, after.Keys);
        foreach (var (table, rows) in before)
        {
            Assert.True(rows.Count > 0, $"{table} is empty");
            Assert.True(rows.SequenceEqual(after[table]),
                $"{table} differs after the rebuild: {rows.Count} rows before, {after[table].Count} after; first difference: " +
                $"{rows.Except(after[table]).FirstOrDefault()} | {after[table].Except(rows).FirstOrDefault()}");
        }
    }

    private static async Task AssertHistoryAsync(HistoryClient history, Sent s)
    {
        var events = (await history.GetJsonAsync($"/messages/{s.MessageId}/events"))!.Value.EnumerateArray().ToList();
        var names = events.Select(e => e.GetProperty("name").GetString()!).ToList();
        var where = $"message {s.Number} ({s.Fate}): [{string.Join(", ", names)}]";

        // Complete and in order: versions 1..n, global sequence rising, received first, complete last.
        Assert.True(events.Select(e => e.GetProperty("version").GetInt64()).SequenceEqual(Enumerable.Range(1, events.Count).Select(v => (long)v)), where);
        var sequences = events.Select(e => e.GetProperty("sequence").GetInt64()).ToList();
        Assert.True(sequences.Zip(sequences.Skip(1)).All(p => p.First < p.Second), where);
        Assert.Equal("msg:received", names[0]);
        Assert.Equal("msg:complete", names[^1]);
        Assert.Single(names, n => n == "msg:complete");

        var summary = (await history.GetJsonAsync($"/messages/{s.MessageId}"))!.Value;
        Assert.Equal("completed", summary.GetProperty("status").GetString());
        Assert.Equal(s.Sender, summary.GetProperty("sender").GetString());
        var recipients = summary.GetProperty("recipients").EnumerateArray().ToList();
        var first = recipients[0];
        switch (s.Fate)
        {
            case Fate.Delivered:
                Assert.Equal(["msg:received", "msg:delivery", "msg:complete"], names);
                Assert.Equal("Delivered", first.GetProperty("state").GetString());
                Assert.Equal(1, first.GetProperty("attempts").GetInt32());
                break;
            case Fate.DeferredThenDelivered:
                Assert.Equal(["msg:delivery", "msg:complete"], names.TakeLast(2));
                Assert.Contains("msg:host:defer", names);
                var attempts = names.Count(n => n == "msg:defer") + 1;
                Assert.True(attempts >= 2, where);
                Assert.Equal(attempts, summary.GetProperty("attempts").GetInt32());
                Assert.Equal(attempts, first.GetProperty("attempts").GetInt32());
                Assert.Equal("Delivered", first.GetProperty("state").GetString());
                break;
            case Fate.Bounced:
                Assert.Equal(["msg:received", "msg:fail:delivery", "msg:complete"], names);
                Assert.Equal("Failed", first.GetProperty("state").GetString());
                Assert.Matches(@"\b5\d\d\b", first.GetProperty("lastResult").GetString());
                break;
            case Fate.RefusedWithPrdr:
                Assert.Equal(["msg:received", "msg:delivery", "msg:complete"], names);
                Assert.Equal(2, recipients.Count);
                Assert.Equal("Delivered", first.GetProperty("state").GetString());
                Assert.Equal($"n{s.Number}@prdr-no.test", recipients[1].GetProperty("address").GetString());
                Assert.Equal("Refused", recipients[1].GetProperty("state").GetString());
                Assert.Equal("550 5.7.1 this content is not wanted", recipients[1].GetProperty("lastResult").GetString());
                break;
        }
    }

    // A recipient refused at RCPT never makes a message: the refusal is in its connection's
    // history, between the connection's opening and its close.
    private static async Task AssertRefusalsAtRcptAsync(HistoryClient history, List<Sent> refused)
    {
        var verdicts = new List<JsonElement>();
        long after = 0;
        while (true)
        {
            var page = (await history.GetJsonAsync($"/events?after={after}&names=policy:verdict&limit=1000"))!.Value;
            verdicts.AddRange(page.GetProperty("events").EnumerateArray());
            var next = page.GetProperty("next").GetInt64();
            if (next == after)
                break;
            after = next;
        }

        foreach (var s in refused)
        {
            var verdict = Assert.Single(verdicts, v => v.GetProperty("data").GetProperty("recipient").GetString() == s.Recipient);
            var data = verdict.GetProperty("data");
            Assert.Equal("Rcpt", data.GetProperty("stage").GetString());
            Assert.Equal("Deny", data.GetProperty("verdict").GetString());
            var connection = data.GetProperty("connectionId").GetString();
            var names = (await history.GetJsonAsync($"/connections/{connection}/events"))!.Value.EnumerateArray()
                .Select(e => e.GetProperty("name").GetString()).ToList();
            Assert.Equal(["tcp:connect", "smtp:connect"], names.Take(2));
            Assert.Equal("tcp:close", names[^1]);
            Assert.Contains("policy:verdict", names);
            var summary = (await history.GetJsonAsync($"/connections/{connection}"))!.Value;
            Assert.Contains("550 5.7.1 no mail for blocked.test", summary.GetProperty("refusals")[0].GetString(), StringComparison.Ordinal);
        }
    }

    private static async Task WaitForBounceAsync(HistoryClient history, string sender)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var found = (await history.GetJsonAsync($"/messages?recipient={Uri.EscapeDataString(sender)}"))!.Value.GetProperty("messages")
                .EnumerateArray().ToList();
            if (found.Count == 1 && found[0].GetProperty("status").GetString() == "completed")
            {
                Assert.Equal("", found[0].GetProperty("sender").GetString());
                Assert.Equal("Delivered", found[0].GetProperty("recipients")[0].GetProperty("state").GetString());
                return;
            }

            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no delivered bounce to {sender}: {found.Count} found");
            await Task.Delay(200);
        }
    }

    private static async Task<Dictionary<string, JsonElement>> AllSummariesAsync(HistoryClient history)
    {
        var all = new Dictionary<string, JsonElement>();
        var path = "/messages?limit=30";
        while (true)
        {
            var page = (await history.GetJsonAsync(path))!.Value;
            foreach (var m in page.GetProperty("messages").EnumerateArray())
                all.Add(m.GetProperty("id").GetString()!, m);
            if (page.GetProperty("next").ValueKind == JsonValueKind.Null)
                return all;
            path = $"/messages?limit=30&after={page.GetProperty("next").GetInt64()}";
        }
    }

    // Waits until no event has been added for two seconds: every connection closed and recorded.
    private static async Task WaitForQuietAsync(HistoryClient history)
    {
        var last = await history.LastSequenceAsync();
        for (var quiet = 0; quiet < 10; quiet++)
        {
            await Task.Delay(200);
            var now = await history.LastSequenceAsync();
            if (now != last)
                (last, quiet) = (now, 0);
        }
    }

    // The projections' documents once two reads a second apart agree: the daemon records its
    // progress and writes the documents of its stages in steps, so a position reached may
    // come a moment before the last of its documents.
    private static async Task<Dictionary<string, List<string>>> SettledProjectionTablesAsync(string schema)
    {
        var last = await ProjectionTablesAsync(schema);
        for (var i = 0; i < 30; i++)
        {
            await Task.Delay(1000);
            var now = await ProjectionTablesAsync(schema);
            if (now.All(t => t.Value.SequenceEqual(last[t.Key])))
                return now;
            last = now;
        }

        throw new TimeoutException("the projections kept changing for 30 seconds");
    }

    // Every projection's documents, id and data, as the database holds them.
    private static async Task<Dictionary<string, List<string>>> ProjectionTablesAsync(string schema)
    {
        await using var connection = new NpgsqlConnection(TestEnvironment.Postgres);
        await connection.OpenAsync();
        var tables = new Dictionary<string, List<string>>();
        foreach (var table in new[] { "mt_doc_messagesummary", "mt_doc_recipientdelivery", "mt_doc_connectionsummary", "mt_doc_eventcount" })
        {
            await using var command = new NpgsqlCommand($"select id || ' ' || data::text from {schema}.{table} order by id", connection);
            var rows = new List<string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                rows.Add(reader.GetString(0));
            tables[table] = rows;
        }

        return tables;
    }
}
