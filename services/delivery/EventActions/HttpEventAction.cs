using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Pipeline.Delivery.EventActions;

/// <summary>
/// The hook as an HTTP endpoint (<c>Delivery:EventAction</c>): each event is POSTed as
/// <c>{"name": "tcp:connect", "data": {...}}</c> (the event's fields as in the HTTP API) and the
/// response body, trimmed, is the result. A hook that fails or does not answer within
/// <c>Delivery:EventActionTimeout</c> vetoes nothing; the failure is logged.
/// </summary>
public sealed class HttpEventAction(HttpClient http, DeliveryOptions options, ILogger<HttpEventAction> log) : IEventAction
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <inheritdoc />
    public async Task<string?> RaiseAsync(string name, object data, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.EventActionTimeout);
        try
        {
            using var response = await http.PostAsJsonAsync(options.EventAction, new { name, data = (object)data }, Json, deadline.Token)
                .ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            var result = (await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false)).Trim();
            return result.Length == 0 ? null : result;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Whatever the hook does, delivery goes on: a failing hook must never keep an
            // attempt from being recorded (which would deliver the message again).
            log.LogWarning("The event action did not answer for {Event}: {Error}", name, e.Message);
            return null;
        }
    }
}
