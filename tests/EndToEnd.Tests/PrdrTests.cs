using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>The pipeline offering PRDR, with fixed verdicts per recipient at the PRDR stage.</summary>
public sealed class PrdrFixture : PipelineFixture
{
    protected override Dictionary<string, string> Extra => new()
    {
        ["Ingress:PrdrEnable"] = "true",
        ["Ingress:LocalDomains:1"] = "filtered.test",
        ["Policy:Verdicts:0:Stage"] = "Prdr",
        ["Policy:Verdicts:0:Recipients:0"] = "reject@example.test",
        ["Policy:Verdicts:0:Action"] = "Deny",
        ["Policy:Verdicts:0:Message"] = "not wanted here",
        ["Policy:Verdicts:1:Stage"] = "Prdr",
        ["Policy:Verdicts:1:Recipients:0"] = "defer@example.test",
        ["Policy:Verdicts:1:Action"] = "Defer",
        ["Policy:Verdicts:1:Message"] = "try again later",
        ["Policy:Verdicts:2:Stage"] = "Rcpt",
        ["Policy:Verdicts:2:Recipients:0"] = "*@filtered.test",
        ["Policy:Verdicts:2:Action"] = "Accept",
        ["Policy:Verdicts:2:ContentFilter"] = "strict",
    };
}

/// <summary>PRDR (draft-hall-prdr-00): one message, a verdict per recipient, with Exim and swaks as clients.</summary>
public sealed class per_recipient_data_responses(PrdrFixture fixture) : IClassFixture<PrdrFixture>
{
    [Fact]
    public async Task exim_logs_each_recipients_own_result()
    {
        using var exim = new EximClient(fixture.Settings.SmtpPort);
        var subject = $"prdr-{Guid.NewGuid():N}";
        var output = await exim.SendAsync("sender@origin.test", $"Subject: {subject}\n\nthree recipients, three fates\n",
            "accept@example.test", "reject@example.test", "defer@example.test");
        var log = exim.MainLog;

        // Exim joins the recipient's own reply and the final one: C="250 2.0.0 OK\n250 2.0.0 OK id=...".
        Assert.Matches(@"=> accept@example\.test R=to_pipeline T=pipeline_smtp H=127\.0\.0\.1 \[127\.0\.0\.1\] PRDR .*C=""250 2\.0\.0 OK\\+n250 2\.0\.0 OK id=", log);
        Assert.Matches(@"\*\* reject@example\.test R=to_pipeline T=pipeline_smtp H=127\.0\.0\.1 \[127\.0\.0\.1\].*550 5\.7\.1 not wanted here", log);
        Assert.Matches(@"== defer@example\.test R=to_pipeline T=pipeline_smtp defer.*451 4\.7\.1 try again later", log);

        var id = IdIn(log);
        var delivered = Assert.Single(await fixture.DeliveredAsync(id, subject));
        Assert.Contains("X-Rcpt-Args: <accept@example.test>", delivered, StringComparison.Ordinal);
        Assert.DoesNotContain("reject@example.test>", delivered.Split("\n\n")[0], StringComparison.Ordinal);
        var received = (await fixture.History.GetJsonAsync($"/messages/{id}/events"))!.Value[0].GetProperty("data");
        Assert.Single(received.GetProperty("recipients").EnumerateArray());
        Assert.DoesNotContain("error", output.Replace("lost privilege", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
    }

    // Exim sends one message to a recipient with the default content checks and one with others.
    private async Task<(string Log, string Subject)> SendToDifferentlyCheckedAsync(bool prdr)
    {
        using var exim = new EximClient(fixture.Settings.SmtpPort, prdr);
        var subject = $"filters-{Guid.NewGuid():N}";
        await exim.SendAsync("sender@origin.test", $"Subject: {subject}\n\ntwo recipients, two kinds of checks\n",
            "accept@example.test", "someone@filtered.test");
        return (exim.MainLog, subject);
    }

    private static string IdIn(string log) =>
        System.Text.RegularExpressions.Regex.Match(log, @"250 2\.0\.0 OK id=([^""\s]+)").Groups[1].Value;

    [Fact]
    public async Task without_prdr_a_recipient_needing_other_content_checks_is_deferred_at_rcpt()
    {
        var (log, subject) = await SendToDifferentlyCheckedAsync(prdr: false);

        Assert.Matches(@"=> accept@example\.test R=to_pipeline T=pipeline_smtp H=127\.0\.0\.1 \[127\.0\.0\.1\] .*C=""250 2\.0\.0 OK id=", log);
        Assert.Matches(@"== someone@filtered\.test R=to_pipeline T=pipeline_smtp defer.*451 4\.5\.3 this recipient's mail is checked differently", log);
        var delivered = Assert.Single(await fixture.DeliveredAsync(IdIn(log), subject));
        Assert.DoesNotContain("filtered.test>", delivered.Split("\n\n")[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task with_prdr_recipients_with_different_content_checks_share_one_message()
    {
        var (log, subject) = await SendToDifferentlyCheckedAsync(prdr: true);

        Assert.Matches(@"=> accept@example\.test .* PRDR .*C=""250 2\.0\.0 OK", log);
        Assert.DoesNotContain("== ", log, StringComparison.Ordinal);
        var delivered = await fixture.DeliveredAsync(IdIn(log), subject);
        Assert.Contains(delivered, m => m.Contains("X-Rcpt-Args: <someone@filtered.test>", StringComparison.Ordinal));
        Assert.Contains(delivered, m => m.Contains("X-Rcpt-Args: <accept@example.test>", StringComparison.Ordinal));
    }

    [Fact]
    public async Task swaks_sees_353_then_one_reply_per_recipient_then_the_final_reply()
    {
        var swaks = await Swaks.SendAsync(fixture.Settings.SmtpPort, null, "--prdr", "--from", "s@origin.test",
            "--to", "accept@example.test,reject@example.test,defer@example.test");
        Assert.Contains("<-  353 PRDR content analysis beginning", swaks.Transcript, StringComparison.Ordinal);
        Assert.Contains("<-  250 2.0.0 OK\n", swaks.Transcript, StringComparison.Ordinal);
        Assert.Contains("550 5.7.1 not wanted here", swaks.Transcript, StringComparison.Ordinal);
        Assert.Contains("451 4.7.1 try again later", swaks.Transcript, StringComparison.Ordinal);
        Assert.NotNull(swaks.MessageId);
    }

    [Fact]
    public async Task when_every_recipient_is_refused_nothing_is_accepted()
    {
        var swaks = await Swaks.SendAsync(fixture.Settings.SmtpPort, null, "--prdr", "--from", "s@origin.test",
            "--to", "reject@example.test,defer@example.test");
        Assert.Contains("550 5.7.1 No recipients accepted", swaks.Transcript, StringComparison.Ordinal);
        Assert.Null(swaks.MessageId);
    }
}
