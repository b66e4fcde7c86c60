using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Pipeline.Delivery.Sts;
using Pipeline.Infrastructure.Dns;

namespace Pipeline.Delivery.Tests.Sts;

/// <summary>
/// RFC 8461 §3.3's fetch, as <see cref="StsPolicyFetcher"/> makes it, against an HTTPS server on
/// loopback (SslStream) whose certificate comes from a CA made here: what it takes, what it
/// refuses, and what each failure is called in TLS reports.
/// </summary>
public sealed class StsPolicyFetcherTests : IDisposable
{
    private const string Policy = "version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 86400\r\n";

    private readonly string _folder = Directory.CreateTempSubdirectory("pipeline-sts-fetch-").FullName;
    private readonly X509Certificate2 _ca;
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public StsPolicyFetcherTests()
    {
        var request = new CertificateRequest("CN=STS Test CA", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        _ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllText(Path.Combine(_folder, "ca.pem"), _ca.ExportCertificatePem());
    }

    public void Dispose()
    {
        _ca.Dispose();
        _caKey.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    // A server certificate naming `name`, issued by the CA (or by a stranger to it).
    private X509Certificate2 Certificate(string name, bool trusted = true)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var strangerRequest = new CertificateRequest("CN=Stranger CA", stranger, HashAlgorithmName.SHA256);
        strangerRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var strangerCa = strangerRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var issued = request.Create(trusted ? _ca : strangerCa, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10),
            RandomNumberGenerator.GetBytes(8));
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), null);
    }

    // Answers each connection, after the TLS handshake and the request's head, with `response`
    // (null: nothing at all, until the client gives up).
    private sealed class PolicyServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();

        public PolicyServer(X509Certificate2 certificate, byte[]? response)
        {
            _listener.Start();
            _ = ServeAsync(certificate, response);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public List<string> Requests { get; } = [];

        private async Task ServeAsync(X509Certificate2 certificate, byte[]? response)
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    await using var tls = new SslStream(client.GetStream());
                    await tls.AuthenticateAsServerAsync(certificate);
                    var head = new StringBuilder();
                    var buffer = new byte[1];
                    while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await tls.ReadAsync(buffer, _stop.Token) == 1)
                        head.Append((char)buffer[0]);
                    if (head.Length == 0)
                        continue; // the client refused the certificate once the handshake was over (TLS 1.3)
                    lock (Requests)
                        Requests.Add(head.ToString());
                    if (response is null)
                    {
                        await Task.Delay(Timeout.Infinite, _stop.Token);
                        continue;
                    }

                    await tls.WriteAsync(response, _stop.Token);
                }
                catch (Exception) when (!_stop.IsCancellationRequested)
                {
                    // A client that refused the certificate, or went away: the next one.
                }
                catch (Exception)
                {
                    return;
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
    }

    private sealed class Loopback : IDnsResolver
    {
        public Task<DnsResult<IPAddress>> GetAddressesAsync(string host, CancellationToken cancellationToken) =>
            Task.FromResult(host == "mta-sts.example.test"
                ? new DnsResult<IPAddress>(DnsStatus.Found, [IPAddress.Loopback], false)
                : new DnsResult<IPAddress>(DnsStatus.NameNotFound, [], false));

        public Task<DnsResult<MxRecord>> GetMxAsync(string domain, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<DnsResult<IPAddress>> GetAddressesAsync(string host, AddressFamily family, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<DnsResult<string>> GetTxtAsync(string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<DnsResult<string>> GetPtrAsync(IPAddress address, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<DnsResult<TlsaRecord>> GetTlsaAsync(string name, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private static byte[] Response(string statusLine, string contentType, string body) =>
        Encoding.ASCII.GetBytes($"HTTP/1.1 {statusLine}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");

    private async Task<(StsFetch Fetch, PolicyServer Server)> FetchAsync(byte[]? response, string certificateName = "mta-sts.example.test",
        bool trusted = true, string domain = "example.test", TimeSpan? timeout = null)
    {
        using var certificate = Certificate(certificateName, trusted);
        var server = new PolicyServer(certificate, response);
        var options = new DeliveryOptions
        {
            MtaStsPort = server.Port,
            TlsVerifyCertificates = Path.Combine(_folder, "ca.pem"),
            MtaStsFetchTimeout = timeout ?? TimeSpan.FromSeconds(20),
        };
        return (await new StsPolicyFetcher(options, new Loopback()).FetchAsync(domain, default), server);
    }

    [Fact]
    public async Task a_policy_served_as_text_plain_under_a_verified_certificate_is_taken_from_the_well_known_path()
    {
        var (fetch, server) = await FetchAsync(Response("200 OK", "text/plain; charset=utf-8", Policy));
        using (server)
        {
            Assert.Equal(Policy, fetch.Text);
            Assert.Null(fetch.ResultType);
            var request = Assert.Single(server.Requests);
            Assert.StartsWith("GET /.well-known/mta-sts.txt HTTP/1.1\r\n", request, StringComparison.Ordinal);
            Assert.Contains("Host: mta-sts.example.test\r\n", request, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("301 Moved Permanently", "sts-policy-fetch-error", "answered 301 (a redirect, which is not followed")]
    [InlineData("302 Found", "sts-policy-fetch-error", "answered 302 (a redirect")]
    [InlineData("404 Not Found", "sts-policy-fetch-error", "mta-sts.example.test answered 404 Not Found")]
    [InlineData("500 Internal Server Error", "sts-policy-fetch-error", "answered 500")]
    public async Task anything_but_200_fails_the_fetch_and_a_redirect_is_not_followed(string status, string resultType, string error)
    {
        var response = Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nLocation: https://mta-sts.example.test/elsewhere.txt\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        var (fetch, server) = await FetchAsync(response);
        using (server)
        {
            Assert.Null(fetch.Text);
            Assert.Equal(resultType, fetch.ResultType);
            Assert.Contains(error, fetch.Error, StringComparison.Ordinal);
            Assert.Single(server.Requests);
        }
    }

    [Fact]
    public async Task a_policy_not_served_as_text_plain_is_invalid()
    {
        var (fetch, server) = await FetchAsync(Response("200 OK", "text/html", Policy));
        using (server)
        {
            Assert.Equal("sts-policy-invalid", fetch.ResultType);
            Assert.Equal("mta-sts.example.test served the policy as text/html, not text/plain", fetch.Error);
        }
    }

    [Fact]
    public async Task a_policy_larger_than_64_kib_is_invalid()
    {
        var (fetch, server) = await FetchAsync(Response("200 OK", "text/plain", Policy + new string('x', 64 * 1024)));
        using (server)
        {
            Assert.Equal("sts-policy-invalid", fetch.ResultType);
            Assert.Equal("mta-sts.example.test served a policy larger than 64 KiB", fetch.Error);
        }
    }

    [Theory]
    [InlineData("mta-sts.other.test", true, "RemoteCertificateNameMismatch")]
    [InlineData("mta-sts.example.test", false, "RemoteCertificateChainErrors")]
    public async Task a_certificate_that_does_not_verify_or_name_the_host_is_a_webpki_failure(string name, bool trusted, string problem)
    {
        var (fetch, server) = await FetchAsync(Response("200 OK", "text/plain", Policy), name, trusted);
        using (server)
        {
            Assert.Null(fetch.Text);
            Assert.Equal("sts-webpki-invalid", fetch.ResultType);
            Assert.Contains(problem, fetch.Error, StringComparison.Ordinal);
            Assert.Empty(server.Requests);
        }
    }

    [Fact]
    public async Task a_server_that_does_not_answer_in_time_fails_the_fetch()
    {
        var (fetch, server) = await FetchAsync(null, timeout: TimeSpan.FromMilliseconds(500));
        using (server)
        {
            Assert.Equal("sts-policy-fetch-error", fetch.ResultType);
            Assert.Equal("fetching the policy from mta-sts.example.test timed out after 0.5s", fetch.Error);
        }
    }

    [Fact]
    public async Task a_policy_host_without_an_address_fails_the_fetch()
    {
        var (fetch, server) = await FetchAsync(Response("200 OK", "text/plain", Policy), domain: "nowhere.test");
        using (server)
        {
            Assert.Equal("sts-policy-fetch-error", fetch.ResultType);
            Assert.Contains("the address lookup of mta-sts.nowhere.test found nothing (NameNotFound)", fetch.Error, StringComparison.Ordinal);
        }
    }
}
