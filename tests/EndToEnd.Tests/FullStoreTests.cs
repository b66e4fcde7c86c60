using System.Text;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// A store that runs out of disk: the pipeline's tables live in a tablespace on a 4 MB tmpfs
/// (its own PostgreSQL role's default tablespace). Messages are taken until it is full; from
/// then on each gets a temporary refusal (452 4.3.1 when the store reports the full disk),
/// never 250, and every message that got 250 is in the store.
/// Once the file system grows, mail is taken again without a restart.
/// </summary>
public sealed class a_full_store
{
    [Fact]
    public async Task gets_452_once_full_and_keeps_every_message_it_accepted()
    {
        var directory = Directory.CreateTempSubdirectory("pipeline-full-").FullName;
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", directory);
        try
        {
            await RunAsync("chown", "postgres:postgres", directory);
            var role = await StoreRole.CreateAsync("full");
            await TestDatabase.ExecuteAsync($"create tablespace {role.Name} location '{directory}'");
            try
            {
                await role.SetAsync("default_tablespace", role.Name);
                await FillAsync(role, directory);
            }
            finally
            {
                await role.DisposeAsync();
                await TestDatabase.ExecuteAsync($"drop tablespace {role.Name}");
            }
        }
        finally
        {
            await RunAsync("umount", directory);
            Directory.Delete(directory);
        }
    }

    private static async Task FillAsync(StoreRole role, string directory)
    {
        var settings = new PipelineSettings();
        // Ingress alone: nothing but accepted messages writes to the store.
        var values = settings.For(roles: "ingress,policy");
        values["Store:ConnectionString"] = role.ConnectionString;
        await using var pipeline = await PipelineProcess.StartAsync(values);

        var accepted = new List<string>();
        var refusals = new List<string>();
        for (var i = 0; i < 200 && refusals.Count < 3; i++)
        {
            var result = await SendAsync(settings);
            if (result.MessageId is { } id)
            {
                Assert.Empty(refusals); // once full, full until it grows
                accepted.Add(id);
            }
            else
                refusals.Add(result.Transcript);
        }

        Assert.NotEmpty(accepted);
        Assert.Equal(3, refusals.Count);
        // 452 when the store says it is full; 451 when a pooled connection that met the full
        // disk fails the next commit otherwise (its prepared statements lost with the failed
        // batch). Either way a temporary refusal, and nothing stored.
        Assert.All(refusals, r => Assert.Matches(@"<\*\* (452 4\.3\.1 Insufficient system storage|451 4\.3\.0 Local error in processing)", r));
        Assert.Contains(refusals, r => r.Contains("<** 452 4.3.1 Insufficient system storage", StringComparison.Ordinal));
        var schema = settings.Schema;
        Assert.Equal(accepted.Count, await TestDatabase.CountAsync(
            $"select count(*) from \"{schema}\".mt_events where type = 'msg:received' and stream_id = any($1)", (object)accepted.ToArray()));
        Assert.Equal(accepted.Count, await TestDatabase.CountAsync(
            $"select count(*) from \"{schema}\".message_data where message_id = any($1)", (object)accepted.ToArray()));

        await RunAsync("mount", "-o", "remount,size=64m", directory);
        await Swaks.UntilAcceptedAsync(() => SendAsync(settings), @"<\*\* 45[12] ", tries: 10);
    }

    // A message of about 200 KB that compresses badly, so that PostgreSQL stores about as much.
    private static Task<Swaks.Result> SendAsync(PipelineSettings settings)
    {
        var body = new StringBuilder();
        for (var i = 0; i < 2700; i++)
            body.Append(Convert.ToBase64String(Random.Shared.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 57))).Append("\r\n");
        return Swaks.SendAsync(settings.SmtpPort, $"Subject: fill\r\n\r\n{body}", "--from", "s@origin.test", "--to", "a@example.test");
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var (exitCode, output) = await Command.RunAsync(program, arguments, "");
        Assert.True(exitCode == 0, $"{program} {string.Join(' ', arguments)}: {output}");
    }
}
