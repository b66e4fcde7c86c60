using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>Ingress never accepts what policy did not judge.</summary>
public sealed class when_policy_does_not_answer
{
    [Fact]
    public async Task ingress_defers_at_its_deadline_instead_of_accepting()
    {
        var settings = new PipelineSettings();
        var extra = new Dictionary<string, string> { ["Ingress:PolicyTimeout"] = "00:00:01" };
        // No policy role anywhere: requests go out on the bus and nobody answers.
        await using var pipeline = await PipelineProcess.StartAsync(settings.For("ingress,delivery,events", extra));

        var swaks = await Swaks.SendAsync(settings.SmtpPort, null, "--from", "sender@origin.test", "--to", "a@example.test");
        // The first check is at connect: no verdict there is a 421 instead of the banner (Exim's connect-ACL defer).
        Assert.Contains("<** 421 policy service did not answer in time", swaks.Transcript, StringComparison.Ordinal);
        Assert.Null(swaks.MessageId);
        await pipeline.WaitForOutputAsync("No policy verdict for Connect");
    }
}
