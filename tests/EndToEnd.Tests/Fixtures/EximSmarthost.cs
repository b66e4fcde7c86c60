using System.Diagnostics;
using System.Globalization;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// Debian's Exim 4.96 as a smarthost on 127.0.0.1: STARTTLS with the test PKI's certificate,
/// SMTP AUTH for the user <see cref="User"/> with the password <see cref="Password"/> through
/// plaintext server authenticators (PLAIN and LOGIN, advertised only over TLS), relaying only
/// for authenticated clients, and sending what it accepts on to 127.0.0.1:<c>nextPort</c>
/// (an smtp-sink). CHUNKING is Exim's default (<c>chunking_advertise_hosts = *</c>). Its main
/// log's <c>&lt;=</c> lines show <c>A=plain:user</c> and, for BDAT, <c>K</c>.
/// </summary>
public sealed class EximSmarthost(ServerProcess server, int port) : ListeningServer(server, port)
{
    public const string User = "relayuser";

    public const string Password = "smarthost-Secret-3d9e1f";

    private readonly ServerProcess _server = server;

    /// <summary>Exim's main log so far.</summary>
    public string MainLog => EximFolder.Log(_server.Folder, "main");

    /// <summary>Exim's reject log so far (failed authentications are written there too).</summary>
    public string RejectLog => EximFolder.Log(_server.Folder, "reject");

    /// <summary>Waits until the main log holds <paramref name="text"/>.</summary>
    public async Task<string> WaitForMainLogAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!MainLog.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Exim's main log has no \"{text}\":\n{MainLog}");
            await Task.Delay(100);
        }

        return MainLog;
    }

    /// <summary>Starts Exim relaying to <paramref name="nextPort"/>; <paramref name="mechanisms"/> are those it advertises (PLAIN, LOGIN).</summary>
    public static async Task<EximSmarthost> StartAsync(TestPki pki, int nextPort, params string[] mechanisms)
    {
        if (mechanisms.Length == 0)
            mechanisms = ["PLAIN", "LOGIN"];
        var port = FreePort.Next();
        var folder = EximFolder.Create("pipeline-exim-smarthost-");
        EximFolder.CopyReadable(folder, [(pki.Chain, "chain.pem"), (pki.Key, "server.key")]);

        string Advertised(string mechanism) => mechanisms.Contains(mechanism) ? "${if def:tls_in_cipher}" : "false";
        string Accepted(string user, string password) => "${if and {{eq{" + user + "}{" + User + "}}{eq{" + password + "}{" + Password + "}}}}";
        var configuration = Path.Combine(folder, "exim.conf");
        File.WriteAllText(configuration, $$$"""
            {{{EximFolder.MainSection(folder, "exim-smarthost.test")}}}
            tls_advertise_hosts = *
            tls_certificate = {{{folder}}}/chain.pem
            tls_privatekey = {{{folder}}}/server.key
            acl_smtp_rcpt = acl_rcpt

            begin acl

            acl_rcpt:
              accept  authenticated = *
              deny    message = relay not permitted

            begin routers

            onwards:
              driver = manualroute
              route_list = * 127.0.0.1
              self = send
              transport = onwards_smtp

            begin transports

            onwards_smtp:
              driver = smtp
              port = {{{nextPort}}}
              allow_localhost
              hosts_avoid_tls = *

            begin retry

            * * F,1h,1m

            begin authenticators

            plain:
              driver = plaintext
              public_name = PLAIN
              server_prompts = :
              server_condition = {{{Accepted("$auth2", "$auth3")}}}
              server_set_id = $auth2
              server_advertise_condition = {{{Advertised("PLAIN")}}}

            login:
              driver = plaintext
              public_name = LOGIN
              server_prompts = Username:: : Password::
              server_condition = {{{Accepted("$auth1", "$auth2")}}}
              server_set_id = $auth1
              server_advertise_condition = {{{Advertised("LOGIN")}}}

            """);
        var server = await ServerProcess.StartAsync(new ProcessStartInfo("exim4",
            ["-C", configuration, "-bdf", "-oX", port.ToString(CultureInfo.InvariantCulture)]), folder, port);
        return new EximSmarthost(server, port);
    }
}
