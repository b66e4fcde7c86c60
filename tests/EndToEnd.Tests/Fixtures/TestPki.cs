namespace Pipeline.EndToEnd.Tests.Fixtures;

/// <summary>
/// A small PKI made with the openssl command: a CA, a server certificate for mail.test (with
/// an OCSP responder in its AIA), and OCSP responses made by <c>openssl ocsp</c> acting as the
/// CA's responder: one good for a day, one that expired (made under faketime two days ago),
/// one that says the certificate is revoked. The server certificate also names 127.0.0.1, so
/// that a server reached by address can be verified.
/// </summary>
public sealed class TestPki : IDisposable
{
    /// <param name="ocspUrl">The responder the server certificate names.</param>
    public TestPki(string ocspUrl = "http://127.0.0.1:1/")
    {
        Folder = Directory.CreateTempSubdirectory("pipeline-pki-").FullName;
        File.WriteAllText(Path(".ext"), $"subjectAltName=DNS:mail.test,DNS:*.mail.test,IP:127.0.0.1\nauthorityInfoAccess=OCSP;URI:{ocspUrl}\n");
        OpenSsl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=Pipeline Test CA");
        OpenSsl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=mail.test");
        OpenSsl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "30", "-extfile", ".ext");
        File.WriteAllText(Path("chain.pem"), File.ReadAllText(Path("server.crt")) + File.ReadAllText(Path("ca.pem")));
        OpenSsl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=client.mail.test");
        OpenSsl("x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.crt", "-days", "30");

        var serial = OpenSsl("x509", "-in", "server.crt", "-noout", "-serial").Trim().Split('=')[1];
        File.WriteAllText(Path("index.txt"), $"V\t300101000000Z\t\t{serial}\tunknown\t/CN=mail.test\n");
        OpenSsl("ocsp", "-issuer", "ca.pem", "-cert", "server.crt", "-no_nonce", "-reqout", "request.der");
        OpenSsl("ocsp", "-index", "index.txt", "-rsigner", "ca.pem", "-rkey", "ca.key", "-CA", "ca.pem", "-reqin", "request.der",
            "-respout", "good.der", "-ndays", "1");
        Run("faketime", ["-f", "-2d", "openssl", "ocsp", "-index", "index.txt", "-rsigner", "ca.pem", "-rkey", "ca.key", "-CA", "ca.pem",
            "-reqin", "request.der", "-respout", "expired.der", "-ndays", "1"]);
        File.WriteAllText(Path("revoked-index.txt"), $"R\t300101000000Z\t250101000000Z\t{serial}\tunknown\t/CN=mail.test\n");
        OpenSsl("ocsp", "-index", "revoked-index.txt", "-rsigner", "ca.pem", "-rkey", "ca.key", "-CA", "ca.pem", "-reqin", "request.der",
            "-respout", "revoked.der", "-ndays", "1");
    }

    public string Folder { get; }

    public string Chain => Path("chain.pem");

    public string Key => Path("server.key");

    public string CaCertificate => Path("ca.pem");

    public string GoodResponse => Path("good.der");

    public string ClientCertificate => Path("client.crt");

    public string ClientKey => Path("client.key");

    public string ExpiredResponse => Path("expired.der");

    public string RevokedResponse => Path("revoked.der");

    public string Path(string name) => System.IO.Path.Combine(Folder, name);

    public string OpenSsl(params string[] arguments) => Run("openssl", arguments);

    // The PKI is made before any test runs, so synchronously.
    private string Run(string program, string[] arguments)
    {
        var (exitCode, output) = Command.RunAsync(program, arguments, "", workingDirectory: Folder).GetAwaiter().GetResult();
        return exitCode == 0 ? output : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed: {output}");
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
