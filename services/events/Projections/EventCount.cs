using System.Globalization;
using JasperFx.Events;
using Pipeline.Contracts.Events;

namespace Pipeline.Events.Projections;

/// <summary>
/// How many events of one name concerned one recipient domain in one hour (UTC). Events that
/// name no recipient (connection events) count under the domain <c>""</c>; an event naming
/// several domains counts once in each.
/// </summary>
public sealed class EventCount
{
    /// <summary><c>yyyy-MM-ddTHH|name|domain</c>.</summary>
    public string Id { get; set; } = "";

    /// <summary>The hour's start.</summary>
    public DateTimeOffset Hour { get; set; }

    public string Name { get; set; } = "";
    public string Domain { get; set; } = "";
    public long Count { get; set; }

    /// <summary>The counters an event adds one to.</summary>
    public static IEnumerable<string> Concerned(IEvent e)
    {
        var hour = e.Timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH", CultureInfo.InvariantCulture);
        return Domains(e.Data).Distinct(StringComparer.Ordinal).Select(domain => $"{hour}|{e.EventTypeName}|{domain}");
    }

    /// <summary>Counts one more event on the counter <paramref name="id"/> names.</summary>
    public static EventCount Add(EventCount? count, string id)
    {
        if (count is null)
        {
            var parts = id.Split('|', 3);
            count = new EventCount
            {
                Id = id, Name = parts[1], Domain = parts[2],
                Hour = DateTimeOffset.ParseExact(parts[0], "yyyy-MM-ddTHH", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
            };
        }

        count.Count++;
        return count;
    }

    private static IEnumerable<string> Domains(object data) => data switch
    {
        MessageReceived r => r.Recipients.Select(x => x.Domain),
        MessageDeferred d => d.Pending.Select(x => x.Domain),
        MessageCancelled c => c.Pending.Select(x => x.Domain),
        DelayWarningSent w => w.Delayed.Select(x => x.Domain),
        HostDeferred h => h.Recipients.Select(x => x.Domain),
        RecipientDelivered d => [d.Recipient.Domain],
        RecipientFailed f => [f.Recipient.Domain],
        RecipientFailedInternally f => [f.Recipient.Domain],
        RecipientDeferred d => [d.Recipient.Domain],
        _ => [""],
    };
}
