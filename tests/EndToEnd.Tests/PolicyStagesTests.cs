using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Ingress asks policy only at the stages where policy decides something. With ingress and
/// policy in two processes on RabbitMQ and rules for RCPT only, policy's own count of checks
/// per stage shows which requests crossed the broker: the first connection's (before ingress
/// knows the stages), then RCPT and DATA for every message, and nothing else.
/// </summary>
public sealed class policy_stages
{
    [Fact]
    public async Task ingress_asks_policy_only_at_the_stages_with_rules_and_at_data()
    {
        var directory = Directory.CreateTempSubdirectory("pipeline-stages-").FullName;
        var rules = Path.Combine(directory, "rules.conf");
        await File.WriteAllTextAsync(rules, """
            rcpt:
              deny    local_parts = refused
                      message = refused here
              accept
            """);
        var settings = new PipelineSettings();
        var management = FreePort.Next();
        var processes = new List<PipelineProcess>();
        try
        {
            // The events process applies the schema; no delivery role: the messages stay queued.
            foreach (var role in new[] { "events", "policy", "ingress" })
            {
                var extra = PipelineSettings.RabbitMq();
                extra["Policy:Rules"] = rules;
                extra["Ingress:RelayFromHosts:0"] = "*";
                if (role == "policy")
                    extra["Management:Listen"] = $"http://127.0.0.1:{management}";
                processes.Add(await PipelineProcess.StartAsync(settings.For(role, extra)));
            }

            const int Messages = 3;
            for (var i = 0; i < Messages; i++)
            {
                var sent = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "s@origin.test", "--to", $"a{i}@example.test");
                Assert.True(sent.ExitCode == 0, sent.Transcript);
            }

            // The rule still decides at RCPT: a refused recipient is refused.
            var refused = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "s@origin.test", "--to", "refused@example.test");
            Assert.Contains("550 5.7.1 refused here", refused.Transcript, StringComparison.Ordinal);

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var metrics = await http.GetStringAsync($"http://127.0.0.1:{management}/metrics");
            // Asked once at CONNECT (ingress learns the stages from that verdict), never at HELO,
            // MAIL or DATA's start; at every RCPT (three accepted, one refused) and every end of data.
            Assert.True(Checks(metrics, "connect") == 1, metrics);
            Assert.True(Checks(metrics, "helo") == 0, metrics);
            Assert.True(Checks(metrics, "mail") == 0, metrics);
            Assert.True(Checks(metrics, "rcpt") == Messages + 1, metrics);
            Assert.True(Checks(metrics, "predata") == 0, metrics);
            Assert.True(Checks(metrics, "data") == Messages, metrics);
        }
        finally
        {
            for (var i = processes.Count - 1; i >= 0; i--)
                await processes[i].DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static double Checks(string exposition, string stage) =>
        MetricsText.Value(exposition, "pipeline_policy_check_duration_seconds_count", $"stage=\"{stage}\"");
}
