using static Pipeline.Infrastructure.Configuration.SettingsExtensions;

namespace Pipeline.Ingress;

/// <summary>
/// The <c>Ingress</c> section. Names mirror Exim's main options in PascalCase.
/// </summary>
public sealed class IngressOptions
{
    /// <summary>The configuration section's name.</summary>
    public const string Section = "Ingress";

    /// <summary>Where SMTP listens: <c>address:port</c>, several separated by commas. Defaults to <c>127.0.0.1:2525</c>.</summary>
    public string Listen { get; set; } = "127.0.0.1:2525";

    /// <summary>The name ingress gives itself in the banner, EHLO and trace headers (Exim's <c>primary_hostname</c>). Defaults to the machine's host name.</summary>
    public string PrimaryHostname { get; set; } = System.Net.Dns.GetHostName();

    /// <summary>The text after <c>220</c> (Exim's <c>smtp_banner</c>). Defaults to <c>{PrimaryHostname} ESMTP Pipeline</c>.</summary>
    public string? SmtpBanner { get; set; }

    /// <summary>The largest message accepted, in bytes, advertised as SIZE (Exim's <c>message_size_limit</c>). Defaults to 50 MiB, Exim's default.</summary>
    public long MessageSizeLimit { get; set; } = 50 * 1024 * 1024;

    /// <summary>The most recipients one message may have (Exim's <c>recipients_max</c>); more are answered 452. Defaults to 1000, Postfix's <c>smtpd_recipient_limit</c>.</summary>
    public int RecipientsMax { get; set; } = 1000;

    /// <summary>The longest command line accepted, CRLF included. Defaults to 2048, Postfix's <c>line_length_limit</c>; RFC 5321 §4.5.3.1.4 asks for at least 512.</summary>
    public int CommandLineMax { get; set; } = 2048;

    /// <summary>The longest text line of a message, CRLF excluded; a message with a longer one is refused with 554. Defaults to 32768, well above RFC 5322 §2.1.1's 998 that real mail exceeds.</summary>
    public int TextLineMax { get; set; } = 32768;

    /// <summary>
    /// The largest header section accepted, in bytes (Exim's <c>header_maxsize</c>): a message
    /// whose header section is larger is refused with 552 at the end of its data. Defaults to
    /// 1 MiB, Exim's default.
    /// </summary>
    public long HeaderMax { get; set; } = 1024 * 1024;

    /// <summary>
    /// The most <c>Received:</c> fields a message may arrive with (Exim's
    /// <c>received_headers_max</c>): one with more is taken for a mail loop and refused with 550
    /// at the end of its data. Defaults to 30, Exim's default.
    /// </summary>
    public int ReceivedHeadersMax { get; set; } = 30;

    /// <summary>How long to wait for each whole command line, however slowly its bytes come, and for each read of message data (Exim's <c>smtp_receive_timeout</c>). Defaults to 5 minutes, Exim's default.</summary>
    public TimeSpan SmtpReceiveTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the whole DATA or BDAT phase of one message may take, however steadily the bytes trickle in. Defaults to 30 minutes.</summary>
    public TimeSpan SmtpDataTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// On SIGTERM, how long a transaction under way (MAIL accepted, content not yet answered) may
    /// go on; meanwhile idle sessions, and each session once its transaction ends, are answered
    /// 421, and no connection is accepted. Defaults to 20 seconds, inside the host's 30 seconds
    /// of shutdown.
    /// </summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How many unrecognized commands are answered before the connection is dropped (Exim's <c>smtp_max_unknown_commands</c>). Defaults to 3, Exim's default.</summary>
    public int SmtpMaxUnknownCommands { get; set; } = 3;

    /// <summary>How many syntax or protocol errors are answered before the connection is dropped (Exim's <c>smtp_max_synprot_errors</c>). Defaults to 3, Exim's default.</summary>
    public int SmtpMaxSynprotErrors { get; set; } = 3;

    /// <summary>How many SMTP connections ingress serves at once (Exim's <c>smtp_accept_max</c>); more are answered 421. Defaults to 100, Postfix's <c>default_process_limit</c>.</summary>
    public int SmtpAcceptMax { get; set; } = 100;

    /// <summary>How many connections one client address may hold at once (Exim's <c>smtp_accept_max_per_host</c>); more are answered 421. Defaults to 50, Postfix's <c>smtpd_client_connection_count_limit</c>.</summary>
    public int SmtpAcceptMaxPerHost { get; set; } = 50;

    /// <summary>
    /// Client hosts that may relay: send to domains outside <see cref="LocalDomains"/> (Exim's
    /// <c>relay_from_hosts</c>). A host list: addresses, CIDR blocks, <c>*</c>, <c>!item</c>;
    /// <c>!*</c> lets no host relay. Defaults, when not set, to the loopback addresses
    /// (<c>127.0.0.0/8</c>, <c>::1</c>), as Exim's <c>localhost</c>.
    /// </summary>
    public List<string>? RelayFromHosts { get; set; }

    /// <summary>Domains whose recipients are accepted from any client (Exim's <c>local_domains</c>). A domain list. Defaults to none.</summary>
    public List<string> LocalDomains { get; set; } = [];

    /// <summary>
    /// How long to wait before sending the banner. A client that talks before the banner is
    /// dropped with a synchronization error whatever this is; a wait makes the check bite
    /// (the idea of Postfix's <c>postscreen_greet_wait</c>). Defaults to 0: no wait.
    /// </summary>
    public TimeSpan SmtpBannerDelay { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Whether ENHANCEDSTATUSCODES (RFC 2034) is advertised and replies after EHLO carry the
    /// RFC 3463 codes, as in <c>250 2.0.0 OK id=...</c>. Defaults to true.
    /// </summary>
    public bool EnhancedStatusCodes { get; set; } = true;

    /// <summary>How long to wait for a policy verdict; none in time is answered 451. Defaults to 30 seconds.</summary>
    public TimeSpan PolicyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Hosts that must open every connection with a PROXY protocol header, v1 or v2 (Exim's
    /// <c>hosts_proxy</c>): the header's source becomes the client. From any other host a
    /// header is never trusted. A host list. Defaults to none.
    /// </summary>
    public List<string> HostsProxy { get; set; } = [];

    /// <summary>The name of <see cref="HostsProxy"/> in Exim 4.84's specification, accepted as an alias.</summary>
    public List<string> ProxyRequiredHosts { get; set; } = [];

    /// <summary>How long a host in <see cref="HostsProxy"/> has to send its header (Exim's <c>proxy_protocol_timeout</c>). Defaults to 3 seconds, Exim's default.</summary>
    public TimeSpan ProxyTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>PEM files, each the server certificate followed by its chain (Exim's <c>tls_certificate</c>); several for SNI. Defaults to none: no STARTTLS.</summary>
    public List<string> TlsCertificate { get; set; } = [];

    /// <summary>The PEM private keys of <see cref="TlsCertificate"/>, by position (Exim's <c>tls_privatekey</c>). Never logged.</summary>
    public List<string> TlsPrivateKey { get; set; } = [];

    /// <summary>DER OCSP responses to staple for <see cref="TlsCertificate"/>, by position (Exim's <c>tls_ocsp_file</c>); re-read when replaced.</summary>
    public List<string> TlsOcspFile { get; set; } = [];

    /// <summary>
    /// Fetch the OCSP response of each <see cref="TlsCertificate"/> from the responder in its
    /// Authority Information Access, check its signature, staple it and fetch again halfway
    /// to its nextUpdate; while the responder is down the last good response is stapled until
    /// it expires. A fresher <see cref="TlsOcspFile"/> response wins. Defaults to false.
    /// </summary>
    public bool TlsOcspAuto { get; set; }

    /// <summary>With <see cref="TlsOcspAuto"/>: how long to wait after a failed fetch, and at least between two fetches. Defaults to 1 minute.</summary>
    public TimeSpan TlsOcspRetryInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>With <see cref="TlsOcspAuto"/>: how long one fetch may take. Defaults to 10 seconds.</summary>
    public TimeSpan TlsOcspTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Clients offered STARTTLS (Exim's <c>tls_advertise_hosts</c>). A host list. Defaults to <c>*</c> when a certificate is configured.</summary>
    public List<string>? TlsAdvertiseHosts { get; set; }

    /// <summary>Clients asked for a certificate, which they need not send (Exim's <c>tls_try_verify_hosts</c>); each one sent is recorded as <c>tls:cert</c>. A host list. Defaults to none.</summary>
    public List<string> TlsTryVerifyHosts { get; set; } = [];

    /// <summary>Clients that must send a certificate that verifies against <see cref="TlsVerifyCertificates"/> (Exim's <c>tls_verify_hosts</c>). A host list. Defaults to none.</summary>
    public List<string> TlsVerifyHosts { get; set; } = [];

    /// <summary>A PEM file of the certificate authorities that client certificates are verified against (Exim's <c>tls_verify_certificates</c>).</summary>
    public string? TlsVerifyCertificates { get; set; }

    /// <summary>
    /// The users that may authenticate with AUTH PLAIN or LOGIN (RFC 4954), offered only under
    /// TLS: name → password, as <c>{PBKDF2-SHA256}iterations$salt-hex$hash-hex</c> (or
    /// <c>{PLAIN}password</c> for tests). An authenticated client may relay. Defaults to none: no AUTH.
    /// </summary>
    public Dictionary<string, string> AuthUsers { get; set; } = [];

    /// <summary>
    /// Failed AUTH attempts allowed from one client address within <see cref="AuthFailureWindow"/>,
    /// over all its connections; past them its AUTH commands get 454 until the oldest failure
    /// leaves the window. Defaults to 10; 0: no limit.
    /// </summary>
    public int AuthFailuresMax { get; set; } = 10;

    /// <summary>The window of <see cref="AuthFailuresMax"/>. Defaults to 10 minutes.</summary>
    public TimeSpan AuthFailureWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Offer PRDR (draft-hall-prdr-00, Exim's <c>prdr_enable</c>): a client that asks for it
    /// gets a verdict per recipient at the end of the data. Defaults to false, as Exim's.
    /// </summary>
    public bool PrdrEnable { get; set; }

    /// <summary><see cref="HostsProxy"/> and its alias together.</summary>
    public IReadOnlyList<string> ProxyHosts => [.. HostsProxy, .. ProxyRequiredHosts];

    /// <summary><see cref="RelayFromHosts"/>, or its default when not set.</summary>
    public IReadOnlyList<string> RelayFromHostsOrDefault => RelayFromHosts ?? ["127.0.0.0/8", "::1"];

    /// <summary>The banner text after <c>220 </c>.</summary>
    public string Banner => SmtpBanner ?? $"{PrimaryHostname} ESMTP Pipeline";

    /// <summary>Checks every value.</summary>
    /// <exception cref="InvalidOperationException">A value is out of range.</exception>
    public void Validate()
    {
        Require(MessageSizeLimit > 0, "Ingress:MessageSizeLimit must be positive");
        Require(RecipientsMax > 0, "Ingress:RecipientsMax must be positive");
        Require(CommandLineMax >= 512, "Ingress:CommandLineMax must be at least 512 (RFC 5321 §4.5.3.1.4)");
        Require(SmtpReceiveTimeout > TimeSpan.Zero, "Ingress:SmtpReceiveTimeout must be positive");
        Require(PolicyTimeout > TimeSpan.Zero, "Ingress:PolicyTimeout must be positive");
        Require(SmtpMaxUnknownCommands >= 0, "Ingress:SmtpMaxUnknownCommands must not be negative");
        Require(SmtpMaxSynprotErrors >= 0, "Ingress:SmtpMaxSynprotErrors must not be negative");
        Require(HeaderMax > 0, "Ingress:HeaderMax must be positive");
        Require(AuthFailuresMax >= 0, "Ingress:AuthFailuresMax must not be negative");
        Require(AuthFailureWindow > TimeSpan.Zero, "Ingress:AuthFailureWindow must be positive");
        Require(ReceivedHeadersMax > 0, "Ingress:ReceivedHeadersMax must be positive");
        Require(TextLineMax >= 998, "Ingress:TextLineMax must be at least 998 (RFC 5322 §2.1.1)");
        Require(SmtpDataTimeout > TimeSpan.Zero, "Ingress:SmtpDataTimeout must be positive");
        Require(ShutdownGrace >= TimeSpan.Zero && ShutdownGrace < TimeSpan.FromSeconds(30), "Ingress:ShutdownGrace must be between 0 and 30 seconds");
        Require(SmtpAcceptMax > 0, "Ingress:SmtpAcceptMax must be positive");
        Require(SmtpAcceptMaxPerHost > 0, "Ingress:SmtpAcceptMaxPerHost must be positive");
        Require(ProxyTimeout > TimeSpan.Zero, "Ingress:ProxyTimeout must be positive");
        Require(SmtpBannerDelay >= TimeSpan.Zero && SmtpBannerDelay < SmtpReceiveTimeout, "Ingress:SmtpBannerDelay must be between 0 and SmtpReceiveTimeout");
        Require(!string.IsNullOrWhiteSpace(PrimaryHostname), "Ingress:PrimaryHostname must not be empty");
    }
}
