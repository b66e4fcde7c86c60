namespace Pipeline.Events.Webhooks;

/// <summary>One entry of <c>Events:Webhooks</c>: where to POST which events, and the secret they are signed with.</summary>
public sealed class WebhookOptions
{
    /// <summary>The subscription's name, the key of its cursor; defaults to the URL.</summary>
    public string? Name { get; set; }

    /// <summary>The receiver.</summary>
    public Uri? Url { get; set; }

    /// <summary>The event names to send; empty: all.</summary>
    public List<string> Names { get; set; } = [];

    /// <summary>The HMAC-SHA256 key of the <c>X-Pipeline-Signature</c> header.</summary>
    public string Secret { get; set; } = "";

    /// <summary>The cursor's key.</summary>
    public string Key => Name ?? Url?.ToString() ?? "";
}
