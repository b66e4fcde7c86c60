namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary><c>openssl s_client -starttls smtp -status</c>: a STARTTLS handshake that asks for the OCSP staple and prints it.</summary>
public static class SClient
{
    /// <summary>Connects to ingress as mail.test, verifying against <paramref name="caFile"/>, and returns what s_client printed.</summary>
    public static async Task<string> StatusAsync(int port, string caFile) =>
        (await Command.RunAsync("openssl", ["s_client", "-starttls", "smtp", "-connect", $"127.0.0.1:{port}",
            "-servername", "mail.test", "-status", "-CAfile", caFile, "-verify_return_error"], "QUIT\r\n", TimeSpan.FromMilliseconds(500))).Output;
}
