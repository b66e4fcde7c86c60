namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// What every Exim the tests start as a server shares: a private folder it can write as its
/// own user (spool and log inside), TLS files it can read, and the main section's lines that
/// keep it to that folder, to 127.0.0.1 and away from DNS.
/// </summary>
internal static class EximFolder
{
    /// <summary>A new folder, with <c>spool</c> and <c>log</c>, writable by Exim's user.</summary>
    public static string Create(string prefix)
    {
        var folder = Directory.CreateTempSubdirectory(prefix).FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)0x1FF);
        foreach (var sub in new[] { "spool", "log" })
        {
            Directory.CreateDirectory(Path.Combine(folder, sub));
            File.SetUnixFileMode(Path.Combine(folder, sub), (UnixFileMode)0x1FF);
        }

        return folder;
    }

    /// <summary>Copies <paramref name="files"/> into <paramref name="folder"/>, readable: Exim reads its TLS files as its own user.</summary>
    public static void CopyReadable(string folder, IEnumerable<(string Source, string Name)> files)
    {
        foreach (var (source, name) in files)
        {
            File.Copy(source, Path.Combine(folder, name));
            File.SetUnixFileMode(Path.Combine(folder, name), (UnixFileMode)0x1A4);
        }
    }

    /// <summary>The main section's common lines (Exim ignores their leading white space).</summary>
    public static string MainSection(string folder, string hostName) => $"""
        primary_hostname = {hostName}
        log_selector = +received_recipients
        exim_user = Debian-exim
        exim_group = Debian-exim
        trusted_users = root
        never_users =
        spool_directory = {folder}/spool
        log_file_path = {folder}/log/%slog
        local_interfaces = 127.0.0.1
        host_lookup =
        rfc1413_hosts =
        keep_environment =
        """;

    /// <summary>One of Exim's logs (<c>main</c>, <c>reject</c>) so far; empty before it exists.</summary>
    public static string Log(string folder, string name)
    {
        var path = Path.Combine(folder, "log", $"{name}log");
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }
}
