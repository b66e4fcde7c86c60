using System.Collections.Concurrent;
using MassTransit;
using Pipeline.Contracts.Events;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Another service subscribing on RabbitMQ with a plain MassTransit consumer of the contract
/// types, as docs/subscribing.md shows: it gets the pipeline's events live, and a replayed
/// window again, marked as replayed. The bus promises the order only to a consumer that asks
/// for it (docs/subscribing.md, "Order"): this one takes one message at a time
/// (<c>ConcurrentMessageLimit = 1</c>), and so sees each message's events in sequence order.
/// </summary>
public sealed class bus_subscriptions
{
    private static readonly string[] Names = ["msg:received", "msg:delivery"];

    private sealed record Seen(string Name, string MessageId, long Sequence, bool Replayed);

    // The subscriber's consumer: what docs/subscribing.md shows, recording what it sees.
    private sealed class Subscriber(ConcurrentQueue<Seen> seen) : IConsumer<MessageReceived>, IConsumer<RecipientDelivered>
    {
        public Task Consume(ConsumeContext<MessageReceived> context) => Record("msg:received", context.Message.MessageId, context);

        public Task Consume(ConsumeContext<RecipientDelivered> context) => Record("msg:delivery", context.Message.MessageId, context);

        private Task Record(string name, string messageId, ConsumeContext context)
        {
            Assert.Equal(name, context.Headers.Get<string>("Pipeline-Event"));
            seen.Enqueue(new Seen(name, messageId, context.Headers.Get<long>("Pipeline-Sequence") ?? 0,
                context.Headers.Get<string>("Pipeline-Replayed") == "true"));
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task a_consumer_on_rabbitmq_gets_events_live_and_a_replay_marked_as_replayed()
    {
        var seen = new ConcurrentQueue<Seen>();
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(TestEnvironment.RabbitMqHost, (ushort)TestEnvironment.RabbitMqPort, "/", h =>
            {
                h.Username("guest");
                h.Password("guest");
            });
            cfg.ReceiveEndpoint($"subscriber-{Guid.NewGuid():N}", e =>
            {
                e.AutoDelete = true;
                e.Durable = false;
                // In publish order, one at a time: without it MassTransit runs up to
                // PrefetchCount consumers at once, and msg:delivery may be seen first.
                e.ConcurrentMessageLimit = 1;
                e.Consumer(() => new Subscriber(seen));
            });
        });
        await bus.StartAsync();
        try
        {
            await using var sink = await SmtpSink.StartAsync();
            var settings = new PipelineSettings();
            var extra = PipelineSettings.Route("example.test", sink.Port);
            foreach (var (key, value) in PipelineSettings.RabbitMq())
                extra[key] = value;
            await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: extra));
            using var history = new HistoryClient(settings.HttpPort);
            // The forwarder publishes from where the log stood when it first ran (docs/subscribing.md),
            // once the daemon's leader is elected: messages are sent until one shows it runs.
            for (var i = 0; i < 12 && seen.IsEmpty; i++)
            {
                await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "s@origin.test", "--to", "a@example.test");
                for (var j = 0; j < 50 && seen.IsEmpty; j++)
                    await Task.Delay(100);
            }

            Assert.False(seen.IsEmpty, "the bus forwarder did not start");
            var swaks = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--from", "s@origin.test", "--to", "a@example.test");
            var id = swaks.MessageId ?? throw new InvalidOperationException(swaks.Transcript);
            await history.WaitForEventAsync(id, "msg:complete", TimeSpan.FromSeconds(30));

            // Other pipelines may share the broker: only this message's events count.
            List<Seen> Mine() => seen.Where(s => s.MessageId == id).ToList();
            for (var i = 0; i < 300 && Mine().Count < 2; i++)
                await Task.Delay(100);
            var live = Mine();
            Assert.Equal(["msg:received", "msg:delivery"], live.Select(s => s.Name));
            Assert.DoesNotContain(live, s => s.Replayed);
            // What every consumer may rely on, in any order it sees them: the sequence.
            Assert.True(live[0].Sequence < live[1].Sequence);

            var (status, body) = await history.PostJsonAsync("/replay", new { target = "bus", fromSequence = live[0].Sequence, names = Names });
            Assert.True(status == System.Net.HttpStatusCode.OK, body.ToString());
            for (var i = 0; i < 300 && Mine().Count < 4; i++)
                await Task.Delay(100);
            var replayed = Mine().Skip(2).ToList();
            Assert.Equal(live.Select(s => (s.Name, s.Sequence)), replayed.Select(s => (s.Name, s.Sequence)));
            Assert.All(replayed, s => Assert.True(s.Replayed));
        }
        finally
        {
            await bus.StopAsync();
        }
    }
}
