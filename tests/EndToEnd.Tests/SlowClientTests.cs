using System.Net.Sockets;
using System.Text;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>The pipeline serving at most 3 connections, each command line due within 3 seconds.</summary>
public sealed class SlowClientFixture : PipelineFixture
{
    protected override Dictionary<string, string> Extra => new()
    {
        ["Ingress:SmtpAcceptMax"] = "3",
        ["Ingress:SmtpReceiveTimeout"] = "00:00:03",
    };
}

/// <summary>
/// Slow-drip clients (slowloris): connections that send a byte now and then and never end a
/// line. They fill <c>Ingress:SmtpAcceptMax</c> for a while, and no longer than
/// <c>Ingress:SmtpReceiveTimeout</c> per line, however steadily they drip.
/// </summary>
public sealed class slow_drip_clients(SlowClientFixture fixture) : IClassFixture<SlowClientFixture>
{
    [Fact]
    public async Task fill_the_connection_limit_only_until_their_line_is_due()
    {
        using var stop = new CancellationTokenSource();
        var drippers = new List<(TcpClient Client, Task<string> Closing)>();
        for (var i = 0; i < 3; i++)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync("127.0.0.1", fixture.Settings.SmtpPort);
            var stream = tcp.GetStream();
            Assert.StartsWith("220 ", await ReadLineAsync(stream), StringComparison.Ordinal);
            drippers.Add((tcp, DripAsync(stream, stop.Token)));
        }

        try
        {
            // The limit is full: a fourth client is turned away at once.
            await using (var fourth = await RawSmtpClient.ConnectAsync(fixture.Settings.SmtpPort))
                Assert.StartsWith("421 ", await fourth.ReadReplyAsync(), StringComparison.Ordinal);

            // Each dripper is cut off when its line is due, while it is still dripping.
            foreach (var (_, closing) in drippers)
                Assert.StartsWith("421 pipeline.test SMTP incoming data timeout", await closing.WaitAsync(TimeSpan.FromSeconds(30)),
                    StringComparison.Ordinal);

            await using var next = await RawSmtpClient.ConnectAsync(fixture.Settings.SmtpPort);
            Assert.StartsWith("220 ", await next.ReadReplyAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var (client, _) in drippers)
                client.Dispose();
        }
    }

    // Sends "EHLO " and then a letter every 200 ms, never a line end; returns what the server
    // said before it closed the connection.
    private static async Task<string> DripAsync(NetworkStream stream, CancellationToken stop)
    {
        var reading = ReadLineAsync(stream);
        try
        {
            await stream.WriteAsync("EHLO "u8.ToArray(), stop);
            while (!reading.IsCompleted && !stop.IsCancellationRequested)
            {
                await stream.WriteAsync("x"u8.ToArray(), stop);
                await Task.Delay(200, stop);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The server closed the connection, or the test ended.
        }

        return await reading;
    }

    private static async Task<string> ReadLineAsync(NetworkStream stream)
    {
        var line = new StringBuilder();
        var buffer = new byte[1];
        while (await stream.ReadAsync(buffer) == 1 && buffer[0] != '\n')
            line.Append((char)buffer[0]);
        return line.ToString().TrimEnd('\r');
    }
}
