using System.Diagnostics;
using System.Globalization;

namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// Debian's Exim 4.96 (exim4-daemon-heavy) as an SMTP server on 127.0.0.1, throwing away
/// what it accepts. Local parts decide: <c>reject</c> is refused and <c>defer</c> deferred;
/// with PRDR requested by the client, after the content (<c>acl_smtp_data_prdr</c>), each
/// recipient then getting its own reply; without, at RCPT. Anything else is accepted. With a
/// certificate it offers STARTTLS, stapling the OCSP response file when one is given. Each RCPT
/// of the local part <c>slow</c> waits 2 seconds; a message with an <c>X-Stall</c> header waits
/// 6 seconds before its final reply. The main log lists each message's recipients
/// on its <c>&lt;=</c> line.
/// </summary>
public sealed class EximServer(ServerProcess server, int port) : ListeningServer(server, port)
{
    private readonly ServerProcess _server = server;

    /// <summary>Exim's main log so far.</summary>
    public string MainLog => EximFolder.Log(_server.Folder, "main");

    /// <summary>
    /// Starts Exim; with <paramref name="dsn"/> it offers DSN (RFC 3461, <c>dsn_advertise_hosts = *</c>),
    /// and then reports a <c>NOTIFY=SUCCESS</c> recipient's delivery itself: its main log shows the
    /// report (<c>&lt;= &lt;&gt; R=id</c>).
    /// </summary>
    public static async Task<EximServer> StartAsync(bool prdr = false, TestPki? pki = null, string? ocspFile = null, bool dsn = false)
    {
        var port = FreePort.Next();
        var folder = EximFolder.Create("pipeline-exim-server-");

        // Exim reads its TLS files as its own user: copies in its folder, readable.
        var tls = "tls_advertise_hosts =";
        if (pki is not null)
        {
            EximFolder.CopyReadable(folder, new[] { (pki.Chain, "chain.pem"), (pki.Key, "server.key") }
                .Concat(ocspFile is null ? [] : new[] { (ocspFile, "ocsp.der") }));

            tls = $"tls_advertise_hosts = *\ntls_certificate = {folder}/chain.pem\ntls_privatekey = {folder}/server.key"
                  + (ocspFile is null ? "" : $"\ntls_ocsp_file = {folder}/ocsp.der");
        }

        var configuration = Path.Combine(folder, "exim.conf");
        File.WriteAllText(configuration, $$$"""
            {{{EximFolder.MainSection(folder, "exim-server.test")}}}
            {{{tls}}}
            prdr_enable = {{{(prdr ? "true" : "false")}}}
            dsn_advertise_hosts = {{{(dsn ? "*" : "")}}}
            acl_smtp_rcpt = acl_rcpt
            acl_smtp_data_prdr = acl_prdr
            acl_smtp_data = acl_data

            begin acl

            acl_rcpt:
              warn    local_parts = slow
                      delay = 2s
              deny    local_parts = reject
                      condition = ${if eq{$prdr_requested}{yes}{no}{yes}}
                      message = no such user at RCPT
              defer   local_parts = defer
                      condition = ${if eq{$prdr_requested}{yes}{no}{yes}}
                      message = not now at RCPT
              accept

            acl_data:
              warn    condition = ${if def:h_X-Stall:}
                      delay = 6s
              accept

            acl_prdr:
              deny    local_parts = reject
                      message = refused after the content
              defer   local_parts = defer
                      message = not now after the content
              accept

            begin routers

            discard:
              driver = redirect
              data = :blackhole:

            """);
        var server = await ServerProcess.StartAsync(new ProcessStartInfo("exim4",
            ["-C", configuration, "-bdf", "-oX", port.ToString(CultureInfo.InvariantCulture)]), folder, port);
        return new EximServer(server, port);
    }
}
