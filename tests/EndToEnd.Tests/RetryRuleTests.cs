using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// One pipeline whose domains each lead to a server that defers in its own way: a closed port,
/// a server that never speaks, one whose listen queue is full, smtp-sink answering 4xx at MAIL,
/// RCPT or DATA, or dropping the connection, or offering no STARTTLS to a route with
/// credentials, or a domain whose MX lookup unbound answers SERVFAIL; and
/// <c>Delivery:Retry</c> lines that give each error type its own interval.
/// </summary>
public sealed class RetryRulePeers : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _sinks = [];
    // The listeners and the sockets they hold, closed with the fixture.
    private readonly List<IDisposable> _held = [];

    /// <summary>The lines, each with a distinct interval; the fallback's is 1 hour.</summary>
    public static readonly string[] Lines =
    [
        "*               refused          F,1h,7m",
        "*               timeout_connect  F,1h,13m",
        "*               timeout          F,1h,11m",
        "*.special.test  rcpt_4xx         F,1h,3m",
        "*               rcpt_45x         F,1h,17m",
        "*               data_4xx         F,1h,19m",
        "*               mail_4xx         F,1h,23m",
        "*               lost_connection  F,1h,29m",
        "*               tls_required     F,1h,31m",
        "*               lookup           F,1h,37m",
    ];

    public PipelineSettings Settings { get; } = new();

    public PipelineProcess Pipeline { get; private set; } = null!;

    public HistoryClient History { get; private set; } = null!;

    private DnsServer? _dns;
    private Resolver? _resolver;

    public async Task InitializeAsync()
    {
        // Unbound's stub zone lame.test points at NSD, which does not serve it and refuses: a
        // lame delegation, which unbound answers at once with SERVFAIL. The routed domains
        // never ask DNS.
        // served.test's MX is a host of lame.test: its address lookup fails the same way.
        _dns = await DnsServer.StartAsync("served.test", "@ IN MX 10 mx.lame.test.");
        _resolver = await Resolver.StartAsync(_dns, ["served.test", "lame.test"]);

        // A server that accepts and never says a word: the greeting times out.
        var stalled = new TcpListener(IPAddress.Loopback, 0);
        _held.Add(stalled);
        stalled.Start();
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var socket = await stalled.AcceptSocketAsync();
                    lock (_held)
                        _held.Add(socket);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Stopped with the fixture.
            }
        });

        // A listen queue of one, filled and never accepted: Linux drops the next SYNs, so a
        // connection to it times out.
        var fullQueue = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _held.Add(fullQueue);
        fullQueue.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        fullQueue.Listen(0);
        var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _held.Add(filler);
        await filler.ConnectAsync(fullQueue.LocalEndPoint!);

        var rcpt = await Sink("-r", "RCPT");
        var routes = new (string Domain, int Port)[]
        {
            ("refused.test", FreePort.Next()), // nothing listens there
            ("stalled.test", ((IPEndPoint)stalled.LocalEndpoint).Port),
            ("unaccepted.test", ((IPEndPoint)fullQueue.LocalEndPoint!).Port),
            ("rcpt.test", rcpt),
            ("*.special.test", rcpt),
            ("data.test", await Sink("-r", "DATA")),
            ("mail.test", await Sink("-r", "MAIL")),
            ("dropped.test", await Sink("-q", "RCPT")),
            ("clear.test", await Sink()),
        };
        var extra = new Dictionary<string, string>
        {
            ["Delivery:RetryRules"] = "F,1h,1h",
            ["Delivery:ConnectTimeout"] = "00:00:02",
            ["Delivery:CommandTimeout"] = "00:00:02",
            ["Dns:Servers:0"] = $"127.0.0.1:{_resolver.Port}",
        };
        for (var i = 0; i < Lines.Length; i++)
            extra[$"Delivery:Retry:{i}"] = Lines[i];
        for (var i = 0; i < routes.Length; i++)
        {
            extra[$"Delivery:Routes:{i}:Domains:0"] = routes[i].Domain;
            extra[$"Delivery:Routes:{i}:Hosts:0"] = $"127.0.0.1:{routes[i].Port}";
        }

        // Credentials for a server without STARTTLS: they are never sent in the clear.
        var clear = Array.FindIndex(routes, r => r.Domain == "clear.test");
        extra[$"Delivery:Routes:{clear}:AuthUser"] = "relay";
        extra[$"Delivery:Routes:{clear}:AuthPassword"] = "never-in-the-clear";

        Pipeline = await PipelineProcess.StartAsync(Settings.For(extra: extra));
        History = new HistoryClient(Settings.HttpPort);
    }

    private async Task<int> Sink(params string[] options)
    {
        var sink = await SmtpSink.StartAsync(0, options);
        _sinks.Add(sink);
        return sink.Port;
    }

    public async Task DisposeAsync()
    {
        History.Dispose();
        await Pipeline.DisposeAsync();
        foreach (var sink in _sinks)
            await sink.DisposeAsync();
        if (_resolver is not null)
            await _resolver.DisposeAsync();
        if (_dns is not null)
            await _dns.DisposeAsync();
        lock (_held)
        {
            foreach (var held in _held)
                held.Dispose();
        }
    }
}

/// <summary>Deferrals are retried by the first <c>Delivery:Retry</c> line that matches the recipient and the error's type.</summary>
public sealed class retry_rules_per_error_type(RetryRulePeers peers) : IClassFixture<RetryRulePeers>
{
    // Sends one message to recipient and waits for its first attempt to end deferred; returns
    // its events, the time after arrival its next attempt is due, and the line that set it.
    private async Task<(List<JsonElement> Events, TimeSpan Wait, string? Rule)> DeferredAsync(string recipient)
    {
        var message = new TestMessage();
        var swaks = await Swaks.SendAsync(peers.Settings.SmtpPort, message.Content, "--from", "sender@origin.test", "--to", recipient);
        Assert.True(swaks.MessageId is not null, swaks.Transcript);
        var id = swaks.MessageId;
        await peers.History.WaitForEventAsync(id, "msg:defer", TimeSpan.FromSeconds(30));
        var events = (await peers.History.GetJsonAsync($"/messages/{id}/events"))!.Value.EnumerateArray().ToList();
        var received = Data(events, "msg:received").GetProperty("receivedAt").GetDateTimeOffset();
        var deferred = Data(events, "msg:defer");
        var rule = deferred.TryGetProperty("retryRule", out var r) ? r.GetString() : null;
        return (events, deferred.GetProperty("nextAttemptAt").GetDateTimeOffset() - received, rule);
    }

    private static JsonElement Data(List<JsonElement> events, string name) =>
        events.Last(e => e.GetProperty("name").GetString() == name).GetProperty("data");

    private static string? ErrorType(List<JsonElement> events, string name) => Data(events, name).GetProperty("errorType").GetString();

    [Fact]
    public async Task a_refused_connection_waits_as_the_refused_line_says()
    {
        var (events, wait, rule) = await DeferredAsync("a@refused.test");
        Assert.Equal("refused_A", ErrorType(events, "msg:host:defer"));
        Assert.Equal(TimeSpan.FromMinutes(7), wait);
        Assert.Equal(RetryRulePeers.Lines[0], rule);
    }

    [Fact]
    public async Task a_server_that_never_greets_waits_as_the_timeout_line_says()
    {
        var (events, wait, rule) = await DeferredAsync("a@stalled.test");
        Assert.Equal("timeout_A", ErrorType(events, "msg:host:defer"));
        Assert.Equal(TimeSpan.FromMinutes(11), wait);
        Assert.Equal(RetryRulePeers.Lines[2], rule);
    }

    [Fact]
    public async Task a_connection_never_accepted_waits_as_the_timeout_connect_line_says()
    {
        var (events, wait, rule) = await DeferredAsync("a@unaccepted.test");
        Assert.Equal("timeout_connect_A", ErrorType(events, "msg:host:defer"));
        Assert.Equal(TimeSpan.FromMinutes(13), wait);
        Assert.Equal(RetryRulePeers.Lines[1], rule);
    }

    [Fact]
    public async Task a_4xx_to_rcpt_waits_as_the_rcpt_line_says()
    {
        var (events, wait, rule) = await DeferredAsync("a@rcpt.test");
        Assert.Equal("rcpt_450", ErrorType(events, "msg:rcpt:defer"));
        Assert.Equal(TimeSpan.FromMinutes(17), wait);
        Assert.Equal(RetryRulePeers.Lines[4], rule);
    }

    [Fact]
    public async Task a_line_for_a_domain_comes_before_the_general_line_for_the_same_error()
    {
        var (events, wait, rule) = await DeferredAsync("a@mx.special.test");
        Assert.Equal("rcpt_450", ErrorType(events, "msg:rcpt:defer"));
        Assert.Equal(TimeSpan.FromMinutes(3), wait);
        Assert.Equal(RetryRulePeers.Lines[3], rule);
    }

    [Fact]
    public async Task a_4xx_to_data_waits_as_the_data_line_says()
    {
        var (events, wait, rule) = await DeferredAsync("a@data.test");
        Assert.Equal("data_450", ErrorType(events, "msg:rcpt:defer"));
        Assert.Equal(TimeSpan.FromMinutes(19), wait);
        Assert.Equal(RetryRulePeers.Lines[5], rule);
    }

    [Fact]
    public async Task a_4xx_to_mail_waits_as_the_mail_line_says()
    {
        var (events, wait, rule) = await DeferredAsync("a@mail.test");
        Assert.Equal("mail_450", ErrorType(events, "msg:host:defer"));
        Assert.Equal(TimeSpan.FromMinutes(23), wait);
        Assert.Equal(RetryRulePeers.Lines[6], rule);
    }

    [Fact]
    public async Task a_dropped_connection_waits_as_the_lost_connection_line_says()
    {
        var (events, wait, rule) = await DeferredAsync("a@dropped.test");
        Assert.Equal("lost_connection", ErrorType(events, "msg:host:defer"));
        Assert.Equal(TimeSpan.FromMinutes(29), wait);
        Assert.Equal(RetryRulePeers.Lines[7], rule);
    }

    [Fact]
    public async Task credentials_for_a_server_without_starttls_are_not_sent_and_wait_as_the_tls_required_line_says()
    {
        var (events, wait, rule) = await DeferredAsync("a@clear.test");
        Assert.Equal("tls_required", ErrorType(events, "msg:host:defer"));
        Assert.Equal("the route has credentials for 127.0.0.1, but the connection is not under TLS: they are not sent in the clear",
            Data(events, "msg:host:defer").GetProperty("eventData").GetString());
        Assert.Equal(TimeSpan.FromMinutes(31), wait);
        Assert.Equal(RetryRulePeers.Lines[8], rule);
    }

    [Fact]
    public async Task a_domain_whose_mx_lookup_fails_for_now_waits_as_the_lookup_line_says()
    {
        var (events, wait, rule) = await DeferredAsync("a@lame.test");
        Assert.Equal(["msg:received", "dns:fail", "msg:defer"], events.Select(e => e.GetProperty("name").GetString()));
        Assert.Equal("lame.test MX: DNS lookup of MX for lame.test failed: Server Failure",
            Data(events, "dns:fail").GetProperty("eventData").GetString());
        Assert.Equal("lookup", ErrorType(events, "dns:fail"));
        Assert.Equal(TimeSpan.FromMinutes(37), wait);
        Assert.Equal(RetryRulePeers.Lines[9], rule);
    }

    [Fact]
    public async Task an_mx_host_whose_address_lookup_fails_for_now_waits_as_the_lookup_line_says()
    {
        var (events, wait, rule) = await DeferredAsync("a@served.test");
        Assert.Equal(["msg:received", "dns:fail", "msg:defer"], events.Select(e => e.GetProperty("name").GetString()));
        Assert.StartsWith("mx.lame.test A/AAAA: ", Data(events, "dns:fail").GetProperty("eventData").GetString());
        Assert.Equal("lookup", ErrorType(events, "dns:fail"));
        Assert.Equal(TimeSpan.FromMinutes(37), wait);
        Assert.Equal(RetryRulePeers.Lines[9], rule);
    }
}
