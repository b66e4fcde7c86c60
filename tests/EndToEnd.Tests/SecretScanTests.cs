using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using Pipeline.EndToEnd.Tests.Fixtures;

namespace Pipeline.EndToEnd.Tests;

/// <summary>
/// Issue 15's secret scan: a pipeline holding every kind of secret it takes (an AUTH password,
/// an API token, a webhook secret, a SOCKS password, a Redis password, a route's AUTH password
/// for its smarthost, a TLS private key) is
/// run through what uses each, failures included (a wrong AUTH password, a wrong API token, a
/// SOCKS proxy refusing the password). Then its whole output, every reply it gave, every
/// webhook it sent and every row of its store are searched for each secret.
/// </summary>
public sealed class secret_scan
{
    private const string AuthPassword = "auth-Secret-7f3a9c";
    private const string GuessedPassword = "guess-Secret-b81d2e";
    private const string ApiToken = "token-Secret-4c6e0a1b2d3f";
    private const string WrongToken = "wrongtoken-Secret-9a8b7c6d";
    private const string WebhookSecret = "hook-Secret-5e4d3c2b";
    private const string SocksPassword = "socks-Secret-1a2b3c";
    private const string RedisPassword = "redis-Secret-6f7e8d";
    private const string RoutePassword = "route-Secret-2e6f9d";

    [Fact]
    public async Task finds_no_secret_in_logs_replies_webhooks_or_the_store()
    {
        using var pki = new TestPki();
        await using var sink = await SmtpSink.StartAsync();
        await using var proxy = await Socks5Proxy.StartAsync("relay", "the-proxy-Pa55");
        var webhooks = new ConcurrentQueue<string>();
        var receiverPort = FreePort.Next();
        using var receiver = new HttpReceiver(receiverPort, async context =>
        {
            using var reader = new StreamReader(context.Request.InputStream);
            var headers = string.Join('\n', context.Request.Headers.AllKeys.Select(k => $"{k}: {context.Request.Headers[k]}"));
            webhooks.Enqueue(headers + "\n\n" + await reader.ReadToEndAsync());
        });

        var settings = new PipelineSettings();
        await using var pipeline = await PipelineProcess.StartAsync(settings.For(extra: new Dictionary<string, string>
        {
            ["Ingress:AuthUsers:alice"] = "{PLAIN}" + AuthPassword,
            ["Ingress:TlsCertificate:0"] = pki.Chain,
            ["Ingress:TlsPrivateKey:0"] = pki.Key,
            ["Ingress:RelayFromHosts:0"] = "!*",
            ["Events:ApiTokens:0:Token"] = ApiToken,
            ["Events:ApiTokens:0:Role"] = "admin",
            ["Events:Webhooks:0:Url"] = $"http://127.0.0.1:{receiverPort}/",
            ["Events:Webhooks:0:Secret"] = WebhookSecret,
            ["Delivery:Routes:0:Domains:0"] = "*",
            ["Delivery:Routes:0:Hosts:0"] = $"127.0.0.1:{sink.Port}",
            ["Delivery:Routes:0:AuthUser"] = "relay",
            ["Delivery:Routes:0:AuthPassword"] = RoutePassword,
            ["Delivery:SocksProxy:0"] = proxy.Specification($"auth=name name=relay pass={SocksPassword}"),
            ["Policy:RedisServers:0"] = $"127.0.0.1:{FreePort.Next()}/0/{RedisPassword}",
        }));

        var replies = new StringBuilder();
        var accepted = await Swaks.SendAsync(settings.SmtpPort, new TestMessage().Content, "--tls", "--auth", "PLAIN", "--auth-user", "alice",
            "--auth-password", AuthPassword, "--from", "s@origin.test", "--to", "someone@elsewhere.test");
        var id = accepted.MessageId ?? throw new InvalidOperationException(accepted.Transcript);
        var refused = await Swaks.SendAsync(settings.SmtpPort, null, "--tls", "--auth", "LOGIN", "--auth-user", "alice",
            "--auth-password", GuessedPassword, "--from", "s@origin.test", "--to", "someone@elsewhere.test");
        Assert.Contains("535 5.7.8", refused.Transcript, StringComparison.Ordinal);
        foreach (var transcript in new[] { accepted.Transcript, refused.Transcript })
            replies.AppendJoin('\n', transcript.Split('\n').Where(l => l.StartsWith('<'))).Append('\n');

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{settings.HttpPort}") };
        foreach (var token in new[] { ApiToken, WrongToken })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/messages/{id}/events");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request);
            replies.Append(response.StatusCode).Append('\n').Append(await response.Content.ReadAsStringAsync()).Append('\n');
        }

        // The delivery through the proxy is refused (a wrong password) and deferred; the
        // webhook has sent the message's events by then.
        using (var history = new HistoryClient(settings.HttpPort, ApiToken))
            await history.WaitForEventAsync(id, "msg:defer", TimeSpan.FromSeconds(30));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!webhooks.Any(w => w.Contains("msg:defer", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Contains(webhooks, w => w.Contains("msg:defer", StringComparison.Ordinal));

        var store = await StoreTextAsync(settings.Schema);
        Assert.Contains(id, store, StringComparison.Ordinal);
        var places = new Dictionary<string, string>
        {
            ["the process's output"] = pipeline.Output,
            ["the replies"] = replies.ToString(),
            ["the webhooks"] = string.Join('\n', webhooks),
            ["the store"] = store,
        };
        // The places searched hold what they should: the failed AUTH's warning, the refused token.
        Assert.Contains("for alice", pipeline.Output, StringComparison.Ordinal);
        Assert.Contains("Unauthorized", places["the replies"], StringComparison.Ordinal);
        var keyLine = File.ReadLines(pki.Key).Skip(1).First();
        var secrets = new[]
        {
            AuthPassword, GuessedPassword, ApiToken, WrongToken, WebhookSecret, SocksPassword, RedisPassword, RoutePassword, keyLine,
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0alice\0{AuthPassword}")), Convert.ToBase64String(Encoding.UTF8.GetBytes(GuessedPassword)),
        };
        foreach (var (place, text) in places)
        {
            foreach (var secret in secrets)
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{place} holds the secret {secret[..6]}...");
        }
    }

    // Every row of every table in the pipeline's schema, as text.
    private static async Task<string> StoreTextAsync(string schema)
    {
        var tables = await TestDatabase.StringsAsync(
            "select table_name::text from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE'", schema);
        Assert.NotEmpty(tables);
        var text = new StringBuilder();
        foreach (var table in tables)
        {
            var rows = await TestDatabase.StringsAsync($"select t::text from \"{schema}\".\"{table}\" t");
            text.Append(table).Append('\n').AppendJoin('\n', rows).Append('\n');
        }

        return text.ToString();
    }
}
