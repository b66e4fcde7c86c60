using System.Net;
using Pipeline.Delivery.Smtp;

namespace Pipeline.Delivery.Tests.Smtp;

public class ServerSlotsTests
{
    private static IPEndPoint Server(int i) => new(new IPAddress(BitConverter.GetBytes(0x0A000000 + i)), 25);

    [Fact]
    public async Task a_million_distinct_servers_leave_none_behind_once_their_slots_are_given_back()
    {
        var slots = new ServerSlots(new DeliveryOptions { RemoteMaxParallel = 2 });
        for (var i = 0; i < 1_000_000; i++)
            (await slots.EnterAsync(Server(i), CancellationToken.None)).Dispose();
        Assert.Equal(0, slots.Count);
    }

    [Fact]
    public async Task a_server_has_remote_max_parallel_slots_and_a_waiter_gets_the_next_one_given_back()
    {
        var slots = new ServerSlots(new DeliveryOptions { RemoteMaxParallel = 2 });
        var first = await slots.EnterAsync(Server(1), CancellationToken.None);
        var second = slots.TryEnter(Server(1));
        Assert.NotNull(second);
        Assert.Null(slots.TryEnter(Server(1)));
        var waiting = slots.EnterAsync(Server(1), CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        first.Dispose();
        first.Dispose(); // twice gives back one slot
        var third = await waiting;
        Assert.Null(slots.TryEnter(Server(1)));
        second!.Dispose();
        third.Dispose();
        Assert.Equal(0, slots.Count);
    }

    [Fact]
    public async Task a_cancelled_wait_leaves_nothing_behind()
    {
        var slots = new ServerSlots(new DeliveryOptions { RemoteMaxParallel = 1 });
        var held = await slots.EnterAsync(Server(1), CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = slots.EnterAsync(Server(1), cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        held.Dispose();
        Assert.Equal(0, slots.Count);
    }
}
