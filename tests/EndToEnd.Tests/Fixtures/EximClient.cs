namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// Debian's Exim 4.96 (exim4-daemon-heavy) as an SMTP client: a private configuration whose
/// one router sends every address to ingress, so that a message submitted on its command line
/// is delivered at once (<c>-odi</c>), with PRDR unless told not to (<c>hosts_try_prdr</c>), PIPELINING and
/// CHUNKING as Exim uses them. Its main log tells each recipient's result.
/// </summary>
public sealed class EximClient : IDisposable
{
    private readonly string _folder;

    public EximClient(int port, bool prdr = true)
    {
        _folder = Directory.CreateTempSubdirectory("pipeline-exim-").FullName;
        File.SetUnixFileMode(_folder, (UnixFileMode)0x1FF);
        Directory.CreateDirectory(Path.Combine(_folder, "spool"));
        Directory.CreateDirectory(Path.Combine(_folder, "log"));
        File.SetUnixFileMode(Path.Combine(_folder, "spool"), (UnixFileMode)0x1FF);
        File.SetUnixFileMode(Path.Combine(_folder, "log"), (UnixFileMode)0x1FF);
        File.WriteAllText(Configuration, $"""
            primary_hostname = exim.test
            exim_user = Debian-exim
            exim_group = Debian-exim
            trusted_users = root
            never_users =
            spool_directory = {_folder}/spool
            log_file_path = {_folder}/log/%slog
            host_lookup =
            rfc1413_hosts =
            keep_environment =
            tls_advertise_hosts =
            acl_smtp_rcpt = accept

            begin routers

            to_pipeline:
              driver = manualroute
              route_list = * 127.0.0.1
              transport = pipeline_smtp
              self = send

            begin transports

            pipeline_smtp:
              driver = smtp
              port = {port}
              hosts_try_prdr = {(prdr ? "*" : "")}
              hosts_avoid_tls = *
              allow_localhost

            begin retry

            * * F,1h,10m

            """);
    }

    private string Configuration => Path.Combine(_folder, "exim.conf");

    /// <summary>Exim's main log so far.</summary>
    public string MainLog => File.Exists(Path.Combine(_folder, "log", "mainlog")) ? File.ReadAllText(Path.Combine(_folder, "log", "mainlog")) : "";

    /// <summary>Submits a message and delivers it in the foreground.</summary>
    public async Task<string> SendAsync(string sender, string content, params string[] recipients)
    {
        var (_, output) = await Command.RunAsync("exim4", ["-C", Configuration, "-odi", "-f", sender, "--", .. recipients], content);
        return output;
    }

    /// <summary>
    /// Submits a message as an SMTP session on standard input (<c>-bs</c>), so that it arrives
    /// with what only SMTP can say (SMTPUTF8, BODY=8BITMIME), and delivers it in the foreground.
    /// </summary>
    public async Task<string> SubmitSmtpAsync(string session)
    {
        var (_, output) = await Command.RunAsync("exim4", ["-C", Configuration, "-odi", "-bs"], session);
        return output;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
