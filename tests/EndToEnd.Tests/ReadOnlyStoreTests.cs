using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// A store that stops taking writes (PostgreSQL switched read-only for the pipeline's own role,
/// its connections cut so that new ones open read-only): ingress answers 451 and never 250,
/// since nothing it could not store may be accepted; once the store takes writes again, mail
/// flows again without a restart.
/// </summary>
public sealed class a_read_only_store
{
    [Fact]
    public async Task gets_451_for_every_message_and_mail_flows_again_once_it_is_writable()
    {
        await using var role = await StoreRole.CreateAsync("ro");
        await using var sink = await SmtpSink.StartAsync();
        var settings = new PipelineSettings();
        var values = settings.For(extra: PipelineSettings.Route("*", sink.Port));
        values["Store:ConnectionString"] = role.ConnectionString;
        await using var pipeline = await PipelineProcess.StartAsync(values);
        using var history = new HistoryClient(settings.HttpPort);

        var before = await SendAsync(settings);
        await history.WaitForEventAsync(before.MessageId ?? throw new InvalidOperationException(before.Transcript), "msg:complete",
            TimeSpan.FromSeconds(30));

        await role.SetAsync("default_transaction_read_only", "on");
        await role.CutAsync();
        for (var i = 0; i < 5; i++)
        {
            var refused = await SendAsync(settings);
            Assert.Null(refused.MessageId);
            Assert.Contains("<** 451 4.3.0 Local error in processing", refused.Transcript, StringComparison.Ordinal);
        }

        // The refusals came from the store, not from anything else going wrong.
        Assert.Contains("in a read-only transaction", pipeline.Output, StringComparison.Ordinal);

        await role.ResetAsync("default_transaction_read_only");
        await role.CutAsync();
        // A client retries a 451 later, as SMTP has it; the first tries may still meet a
        // connection cut above. Every answer is 451 or 250, never anything else.
        var after = await Swaks.UntilAcceptedAsync(() => SendAsync(settings), @"<\*\* 451 4\.3\.0 Local error in processing", tries: 20);
        await history.WaitForEventAsync(after.MessageId!, "msg:complete", TimeSpan.FromSeconds(30));
        Assert.Equal(2, sink.Messages.Count);
    }

    private static Task<Swaks.Result> SendAsync(PipelineSettings settings) =>
        Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "s@origin.test", "--to", "a@example.test");
}
