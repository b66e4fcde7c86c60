using MassTransit;
using Pipeline.Events.Bus;
using Pipeline.Events.Http;
using Pipeline.Events.Webhooks;

namespace Pipeline.Events.Replay;

/// <summary>
/// Sends a window of the event log again, in global order, to one webhook subscription or to
/// the bus, each event marked as replayed (<c>X-Pipeline-Replayed</c>, <c>Pipeline-Replayed</c>).
/// Live delivery is not affected: the subscription's cursor stays where it is.
/// </summary>
public sealed class Replayer(EventFeed feed, WebhookDispatcher webhooks, IBus bus, EventsOptions options)
{
    /// <summary>Checks <paramref name="request"/>; null when it is sound, else the reason.</summary>
    public string? Validate(ReplayRequest request)
    {
        if (request.FromSequence is null == request.FromTime is null)
            return "give exactly one of fromSequence and fromTime";
        if (request.FromSequence is < 1)
            return "fromSequence counts from 1";
        if (request.Target != "bus" && Webhook(request.Target) is null)
            return $"target '{request.Target}' is neither 'bus' nor 'webhook:NAME' with the name or URL of an Events:Webhooks subscription";
        return null;
    }

    /// <summary>Replays the window; returns when every event of it went out.</summary>
    public async Task<ReplayResult> ReplayAsync(ReplayRequest request, CancellationToken cancellationToken)
    {
        var webhook = request.Target == "bus" ? null : Webhook(request.Target)!;
        var names = (request.Names.Count > 0 ? request.Names : webhook?.Names ?? []).ToHashSet(StringComparer.Ordinal);
        var cursor = request.FromSequence is { } from ? from - 1 : await feed.CursorAtAsync(request.FromTime!.Value, cancellationToken).ConfigureAwait(false);
        var first = cursor + 1;
        var end = await feed.LastAsync(cancellationToken).ConfigureAwait(false);
        var last = Math.Min(request.ToSequence ?? end, end);
        var sent = 0;
        while (cursor < last)
        {
            var (events, next) = await feed.ReadAsync(cursor, names, 500, cancellationToken).ConfigureAwait(false);
            foreach (var e in events.Where(e => e.Sequence <= last))
            {
                if (webhook is null)
                    await BusForwarder.PublishAsync(bus, e, replayed: true, cancellationToken).ConfigureAwait(false);
                else
                    await webhooks.ReplayAsync(webhook, e, cancellationToken).ConfigureAwait(false);
                sent++;
            }

            if (next == cursor)
                await Task.Delay(250, cancellationToken).ConfigureAwait(false);
            cursor = next;
        }

        return new ReplayResult(request.Target, first, last, sent);
    }

    private WebhookOptions? Webhook(string target) =>
        target.StartsWith("webhook:", StringComparison.Ordinal)
            ? options.Webhooks.FirstOrDefault(w => w.Key == target["webhook:".Length..] || w.Url?.ToString() == target["webhook:".Length..])
            : null;
}
