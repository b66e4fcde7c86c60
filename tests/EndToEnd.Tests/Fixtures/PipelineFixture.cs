namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// One pipeline and one smtp-sink shared by a test class: every role in one process, the
/// client's address 127.0.0.1 allowed to relay only to <c>example.test</c> (a local domain)
/// unless it connects from 127.0.0.2 (in RelayFromHosts).
/// </summary>
public class PipelineFixture : IAsyncLifetime
{
    /// <summary>Settings a derived fixture adds.</summary>
    protected virtual Dictionary<string, string> Extra => [];

    public SmtpSink Sink { get; private set; } = null!;

    public PipelineProcess Pipeline { get; private set; } = null!;

    public PipelineSettings Settings { get; } = new();

    public HistoryClient History { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Sink = await SmtpSink.StartAsync();
        var extra = new Dictionary<string, string>
        {
            ["Delivery:Routes:0:Domains:0"] = "*",
            ["Delivery:Routes:0:Hosts:0"] = $"127.0.0.1:{Sink.Port}",
            ["Ingress:LocalDomains:0"] = "example.test",
            ["Ingress:RelayFromHosts:0"] = "127.0.0.2",
            ["Ingress:MessageSizeLimit"] = "100000",
            ["Ingress:TextLineMax"] = "2000",
            ["Ingress:HeaderMax"] = "20000",
            ["Ingress:SmtpBannerDelay"] = "00:00:00.100",
        };
        foreach (var (key, value) in Extra)
            extra[key] = value;
        Pipeline = await PipelineProcess.StartAsync(Settings.For(extra: extra));
        History = new HistoryClient(Settings.HttpPort);
    }

    /// <summary>Waits until the message completed, then returns what the sink holds for its subject.</summary>
    public async Task<IReadOnlyList<string>> DeliveredAsync(string messageId, string subject)
    {
        await History.WaitForEventAsync(messageId, "msg:complete", TimeSpan.FromSeconds(30));
        return Sink.Messages.Where(m => m.Contains(subject, StringComparison.Ordinal)).ToList();
    }

    public virtual async Task DisposeAsync()
    {
        History.Dispose();
        await Pipeline.DisposeAsync();
        await Sink.DisposeAsync();
    }
}
