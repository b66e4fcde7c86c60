using System.Security.Cryptography.X509Certificates;
using Pipeline.Infrastructure.Lists;
using static Pipeline.Infrastructure.Configuration.SettingsExtensions;

namespace Pipeline.Delivery;

/// <summary>The <c>Delivery</c> section. Names mirror Exim's router, transport and retry options.</summary>
public sealed class DeliveryOptions
{
    /// <summary>The configuration section's name.</summary>
    public const string Section = "Delivery";

    /// <summary>
    /// The route table, tried in order before MX: the first route whose <c>Domains</c> list
    /// matches a recipient's domain sends it to its <c>Hosts</c> (Exim's manualroute router).
    /// </summary>
    public List<RouteOptions> Routes { get; set; } = [];

    /// <summary>
    /// Exim's retry rules for every host and recipient: <c>F,cutoff,interval</c> (fixed) and
    /// <c>G,cutoff,interval,factor</c> (geometric), separated by <c>;</c>, cutoffs counted from
    /// the message's arrival. Past the last cutoff a deferred recipient fails. Defaults to
    /// <c>F,2h,15m; G,16h,1h,1.5; F,4d,6h</c>, Exim's default rule.
    /// </summary>
    public string RetryRules { get; set; } = "F,2h,15m; G,16h,1h,1.5; F,4d,6h";

    /// <summary>
    /// Exim's retry section: lines <c>pattern error [senders=list] rules</c>, tried in order; the
    /// first whose pattern matches the deferred recipient (or, for host errors, the host's name or
    /// the recipient's domain) and whose error name matches the error that deferred it gives
    /// the rules. <see cref="RetryRules"/> is the last line, <c>* *</c>. Example:
    /// <c>*.example.com rcpt_4xx F,1h,5m; G,1d,15m,2</c>. Errors: <c>*</c>, <c>refused</c>,
    /// <c>timeout_connect</c>, <c>timeout</c> (each also <c>_MX</c>/<c>_A</c>), <c>mail_4xx</c>,
    /// <c>rcpt_4xx</c>, <c>data_4xx</c> (<c>4Nx</c>, <c>4NN</c>), <c>lost_connection</c>,
    /// <c>auth_failed</c>, <c>tls_required</c>, <c>lookup</c>. Empty by default.
    /// </summary>
    public List<string> Retry { get; set; } = [];

    /// <summary>
    /// The parsed <see cref="Retry"/> lines and <see cref="RetryRules"/>, read at first use (by
    /// <see cref="Validate"/> at start-up) and shared by every reader.
    /// </summary>
    /// <exception cref="FormatException">A line or the rules are malformed.</exception>
    public global::Pipeline.Delivery.Retry.RetryConfiguration RetryLines => _retryLines.Value;

    /// <summary>The port for MX hosts and route hosts given without one. Defaults to 25.</summary>
    public int Port { get; set; } = 25;

    /// <summary>The name sent in EHLO (Exim's <c>helo_data</c>). Defaults to the machine's host name.</summary>
    public string HeloData { get; set; } = System.Net.Dns.GetHostName();

    /// <summary>How long to wait for a TCP connection (Exim's <c>connect_timeout</c>). Defaults to 5 minutes, Exim's default.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// SOCKS5 proxies to connect through (Exim's <c>socks_proxy</c>), tried in order, each
    /// <c>IP [auth=none|name] [name=USER] [pass=PASSWORD] [port=1080] [tmo=5]</c>. Empty: connect
    /// directly. <see cref="ConnectTimeout"/> covers the attempts on all of them.
    /// </summary>
    public List<string> SocksProxy { get; set; } = [];

    /// <summary>The parsed <see cref="SocksProxy"/> list, set by <see cref="Validate"/>.</summary>
    public IReadOnlyList<Socks.SocksProxy> SocksProxies { get; private set; } = [];

    /// <summary>
    /// The servers with which PRDR (draft-hall-prdr-00) is used when they offer it and a
    /// transaction has several recipients (Exim's <c>hosts_try_prdr</c>): a host list of
    /// addresses, CIDR blocks and host names (<c>mx1.example.com</c>, <c>*.example.com</c>,
    /// <c>^regex</c>) matched against the route's or MX record's host name. Defaults to
    /// <c>*</c>, as in Exim; empty: never. The TLS, DANE and OCSP host lists below take the same items.
    /// </summary>
    public List<string> HostsTryPrdr { get; set; } = ["*"];

    /// <summary>The parsed <see cref="HostsTryPrdr"/>, set by <see cref="Validate"/>.</summary>
    public HostList TryPrdr { get; private set; } = new([]);

    /// <summary>
    /// Host names that are this MTA as well (Exim's <c>hosts_treat_as_local</c>, a domain list:
    /// <c>mx1.example.com</c>, <c>*.cluster.example.com</c>, <c>^regex</c>), matched against
    /// route hosts and MX hosts, besides the addresses and ports this process's ingress listens
    /// on. Mail routed to such a host would loop: RFC 5321 §5.1 drops it and every less
    /// preferred host, and when it is the most preferred the recipients fail. Empty by default.
    /// </summary>
    public List<string> HostsTreatAsLocal { get; set; } = [];

    /// <summary>The parsed <see cref="HostsTreatAsLocal"/>, set by <see cref="Validate"/>.</summary>
    public DomainList TreatAsLocal { get; private set; } = new([]);

    /// <summary>
    /// Bounces return the whole original message up to this size in bytes, only its headers
    /// above it (Exim's <c>bounce_return_size_limit</c>). Defaults to 100 KiB.
    /// </summary>
    public int BounceReturnSizeLimit { get; set; } = 100 * 1024;

    /// <summary>
    /// When the sender of a delayed message is warned (Exim's <c>delay_warning</c>): a
    /// colon-separated list of up to 10 increasing times in the queue, such as <c>4h:8h:24h</c>;
    /// past the last, the gap between the last two (or the only time) repeats. The warning is
    /// an RFC 3464 report (<c>Action: delayed</c>) made at a delivery attempt that leaves
    /// recipients deferred, never to the null sender, never against a recipient's NOTIFY, and
    /// not for list, bulk or automatic mail (Exim's default <c>delay_warning_condition</c>).
    /// Empty or <c>0</c>: never. Defaults to <c>24h</c>, Exim's default.
    /// </summary>
    public string DelayWarning { get; set; } = "24h";

    /// <summary>The parsed <see cref="DelayWarning"/>, read at first use (by <see cref="Validate"/> at start-up).</summary>
    /// <exception cref="FormatException">The list is malformed.</exception>
    internal Bounces.DelayWarningSchedule DelayWarnings => _delayWarnings.Value;

    /// <summary>Servers never asked for STARTTLS (Exim's <c>hosts_avoid_tls</c>). Default: none.</summary>
    public List<string> HostsAvoidTls { get; set; } = [];

    /// <summary>Servers that get mail only over TLS (Exim's <c>hosts_require_tls</c>). Default: none.</summary>
    public List<string> HostsRequireTls { get; set; } = [];

    /// <summary>
    /// Servers that must staple a good, unexpired OCSP response for their certificate, signed by
    /// its issuer or a delegated responder (Exim's <c>hosts_require_ocsp</c>); implies TLS
    /// required. Default: none.
    /// </summary>
    public List<string> HostsRequireOcsp { get; set; } = [];

    /// <summary>Servers asked to staple an OCSP response (Exim's <c>hosts_request_ocsp</c>). Default: <c>*</c>.</summary>
    public List<string> HostsRequestOcsp { get; set; } = ["*"];

    /// <summary>
    /// The CA certificates (a PEM file) server certificates are verified against (Exim's
    /// <c>tls_verify_certificates</c>); <c>system</c>, the default, means the system's store.
    /// </summary>
    public string TlsVerifyCertificates { get; set; } = "system";

    /// <summary>
    /// The CAs of <see cref="TlsVerifyCertificates"/>, read from the file at first use (by SMTP
    /// sessions and MTA-STS policy fetches alike); null for the system's store.
    /// </summary>
    internal X509Certificate2Collection? TrustedCertificates => _trusted.Value;

    private readonly Lazy<X509Certificate2Collection?> _trusted;

    private readonly Lazy<global::Pipeline.Delivery.Retry.RetryConfiguration> _retryLines;

    private readonly Lazy<Bounces.DelayWarningSchedule> _delayWarnings;

    /// <summary>Options with Exim's defaults.</summary>
    public DeliveryOptions()
    {
        _trusted = new(() =>
        {
            if (TlsVerifyCertificates == "system")
                return null;
            var trust = new X509Certificate2Collection();
            trust.ImportFromPemFile(TlsVerifyCertificates);
            return trust;
        });
        _retryLines = new(() => global::Pipeline.Delivery.Retry.RetryConfiguration.Parse(Retry, RetryRules));
        _delayWarnings = new(() => Bounces.DelayWarningSchedule.Parse(DelayWarning));
    }

    /// <summary>Servers whose certificate must verify, or the TLS session fails (Exim's <c>tls_verify_hosts</c>). Default: none.</summary>
    public List<string> TlsVerifyHosts { get; set; } = [];

    /// <summary>Servers whose certificate is verified and the result logged as <c>CV=</c>, never refused (Exim's <c>tls_try_verify_hosts</c>). Default: <c>*</c>.</summary>
    public List<string> TlsTryVerifyHosts { get; set; } = ["*"];

    /// <summary>Servers whose certificate must name the host (Exim's <c>tls_verify_cert_hostnames</c>). Default: <c>*</c>.</summary>
    public List<string> TlsVerifyCertHostnames { get; set; } = ["*"];

    /// <summary>
    /// Servers with which DANE (RFC 7672) is used when their lookups were DNSSEC-validated and
    /// they publish TLSA records (Exim's <c>hosts_try_dane</c>). Default: <c>*</c>.
    /// </summary>
    public List<string> HostsTryDane { get; set; } = ["*"];

    /// <summary>Servers that get mail only under DANE (Exim's <c>hosts_require_dane</c>). Default: none.</summary>
    public List<string> HostsRequireDane { get; set; } = [];

    /// <summary>
    /// MTA-STS (RFC 8461) for mail routed by MX: a recipient domain that publishes a
    /// <c>_mta-sts</c> TXT record and a policy at <c>https://mta-sts.domain/.well-known/mta-sts.txt</c>
    /// gets its mail, in mode <c>enforce</c>, only at MX hosts the policy names and only over TLS
    /// with a certificate that verifies against <see cref="TlsVerifyCertificates"/> and names the
    /// host; anything less defers the host, never falling back to the clear. Mode
    /// <c>testing</c> checks the same, records what fails (<c>sts:fail</c>) and delivers all the
    /// same. Where DANE applies to a host (validated TLSA records) DANE decides and the policy
    /// does not (RFC 8461 §2). Routes of <see cref="Routes"/> are not subject to it. Defaults to
    /// true, as the RFC would have senders do.
    /// </summary>
    public bool MtaSts { get; set; } = true;

    /// <summary>The port MTA-STS policies are fetched from, on <c>mta-sts.domain</c>. Defaults to 443, HTTPS's port; tests use another.</summary>
    public int MtaStsPort { get; set; } = 443;

    /// <summary>How long fetching one MTA-STS policy may take, connection and body included. Defaults to 1 minute, RFC 8461 §3.3's suggestion.</summary>
    public TimeSpan MtaStsFetchTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>SMTP TLS Reporting (RFC 8460): the <c>Delivery:TlsReports</c> section. Off by default.</summary>
    public TlsReports.TlsReportOptions TlsReports { get; set; } = new();

    internal HostList TryDane { get; private set; } = new([]);

    internal HostList RequireDane { get; private set; } = new([]);

    internal HostList AvoidTls { get; private set; } = new([]);

    internal HostList RequireTls { get; private set; } = new([]);

    internal HostList RequireOcsp { get; private set; } = new([]);

    internal HostList RequestOcsp { get; private set; } = new([]);

    internal HostList VerifyHosts { get; private set; } = new([]);

    internal HostList VerifyCertHostnames { get; private set; } = new([]);

    internal HostList TryVerifyHosts { get; private set; } = new([]);

    /// <summary>
    /// The local addresses to send from (Exim's <c>interface</c>): the first of the server's
    /// address family is bound; none of it, the system chooses. Default: none.
    /// </summary>
    public List<string> Interface { get; set; } = [];

    /// <summary>
    /// The most connections one delivery process has open to one server (address and port) at
    /// once; messages beyond wait for one of them. Defaults to 20.
    /// </summary>
    public int RemoteMaxParallel { get; set; } = 20;

    /// <summary>
    /// The event action (Exim's <c>event_action</c>): an HTTP URL every delivery event is POSTed
    /// to before the pipeline goes on; see docs/events.md. Default: none.
    /// </summary>
    public Uri? EventAction { get; set; }

    /// <summary>How long the event action may take; past it, nothing is vetoed. Defaults to 5 seconds.</summary>
    public TimeSpan EventActionTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait for a reply to a command (Exim's <c>command_timeout</c>). Defaults to 5 minutes, Exim's default.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// With a server that offers CHUNKING (RFC 3030), the message goes in BDAT chunks of at most
    /// this many bytes, the last marked LAST, instead of DATA. Defaults to 1 MiB; at least 1.
    /// </summary>
    public int BdatChunkSize { get; set; } = 1024 * 1024;

    /// <summary>How long to wait for the reply after the data (Exim's <c>final_timeout</c>). Defaults to 10 minutes, Exim's default.</summary>
    public TimeSpan FinalTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The most transactions one connection carries before it closes (Exim's <c>connection_max_messages</c>). Defaults to 500, Exim's default.</summary>
    public int ConnectionMaxMessages { get; set; } = 500;

    /// <summary>How long an open connection waits for another message for its server before it closes. Defaults to 2 seconds.</summary>
    public TimeSpan ConnectionIdleTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the queue is polled for due messages besides the bus's wake-ups. Defaults to 1 second.</summary>
    public TimeSpan QueuePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many messages one delivery process works on at once. Defaults to 8.</summary>
    public int MaxParallel { get; set; } = 8;

    /// <summary>
    /// How long a worker's claim on a message lasts without renewal: a worker that dies gives
    /// its messages back when its claims expire. A running attempt renews its claim every third
    /// of it, so an attempt may last longer. At least 1 second; defaults to 5 minutes.
    /// </summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long the attempts under way may go on once the process is asked to stop; then they
    /// are cut short, record nothing and give their messages back. Defaults to 20 seconds,
    /// inside the host's 30 seconds of shutdown.
    /// </summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The d= of the DKIM signature added to outgoing mail (Exim's <c>dkim_domain</c>). No signing when unset.</summary>
    public string? DkimDomain { get; set; }

    /// <summary>The s= of that signature (Exim's <c>dkim_selector</c>).</summary>
    public string? DkimSelector { get; set; }

    /// <summary>The PEM file of the signing key (Exim's <c>dkim_private_key</c>).</summary>
    public string? DkimPrivateKey { get; set; }

    /// <summary><c>rsa-sha256</c> (the default) or <c>ed25519-sha256</c>, matching the key.</summary>
    public string DkimAlgorithm { get; set; } = "rsa-sha256";

    /// <summary>Header and body canonicalization, as <c>c=</c> writes them (Exim's <c>dkim_canon</c>). Defaults to <c>relaxed/relaxed</c>.</summary>
    public string DkimCanonicalization { get; set; } = "relaxed/relaxed";

    /// <summary>
    /// The header fields signed when present (Exim's <c>dkim_sign_headers</c>); From always. Defaults to RFC 6376 §5.4.1's
    /// recommendation.
    /// </summary>
    public List<string> DkimSignHeaders { get; set; } =
    [
        "From", "Reply-To", "Subject", "Date", "To", "Cc", "Resent-Date", "Resent-From", "Resent-To", "Resent-Cc",
        "In-Reply-To", "References", "List-Id", "List-Help", "List-Unsubscribe", "List-Subscribe", "List-Post",
        "List-Owner", "List-Archive", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    ];

    /// <summary>Checks every value.</summary>
    /// <exception cref="InvalidOperationException">A value is out of range or a route is malformed.</exception>
    public void Validate()
    {
        Require(Port is > 0 and < 65536, "Delivery:Port must be a port number");
        Require(ConnectTimeout > TimeSpan.Zero && CommandTimeout > TimeSpan.Zero && FinalTimeout > TimeSpan.Zero,
            "Delivery timeouts must be positive");
        Require(QueuePollInterval > TimeSpan.Zero, "Delivery:QueuePollInterval must be positive");
        Require(MaxParallel > 0, "Delivery:MaxParallel must be positive");
        Require(RemoteMaxParallel > 0, "Delivery:RemoteMaxParallel must be positive");
        Require(Interface.All(i => System.Net.IPAddress.TryParse(i, out _)), "Delivery:Interface must list IP addresses");
        Require(Routes.All(r => r.Interface is null || r.Interface.All(i => System.Net.IPAddress.TryParse(i, out _))),
            "Delivery:Routes:N:Interface must list IP addresses");
        Require(ConnectionMaxMessages > 0, "Delivery:ConnectionMaxMessages must be positive");
        Require(BdatChunkSize > 0, "Delivery:BdatChunkSize must be positive");
        Require(ConnectionIdleTimeout >= TimeSpan.Zero, "Delivery:ConnectionIdleTimeout must not be negative");
        Require(ClaimLease >= TimeSpan.FromSeconds(1), "Delivery:ClaimLease must be at least 1 second");
        Require(ShutdownGrace >= TimeSpan.Zero && ShutdownGrace < TimeSpan.FromSeconds(30), "Delivery:ShutdownGrace must be between 0 and 30 seconds");
        var proxies = new List<Socks.SocksProxy>();
        for (var i = 0; i < SocksProxy.Count; i++)
        {
            try
            {
                proxies.Add(Socks.SocksProxy.Parse(SocksProxy[i]));
            }
            catch (FormatException e)
            {
                throw new InvalidOperationException($"Delivery:SocksProxy:{i}: {e.Message}");
            }
        }

        SocksProxies = proxies;
        try
        {
            _ = DelayWarnings;
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"Delivery:DelayWarning: {e.Message}");
        }

        try
        {
            _ = RetryLines;
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException(e.Message);
        }

        try
        {
            TreatAsLocal = new DomainList(HostsTreatAsLocal);
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"Delivery:HostsTreatAsLocal: {e.Message}");
        }

        TryPrdr = Hosts(HostsTryPrdr, nameof(HostsTryPrdr));
        AvoidTls = Hosts(HostsAvoidTls, nameof(HostsAvoidTls));
        TryDane = Hosts(HostsTryDane, nameof(HostsTryDane));
        RequireDane = Hosts(HostsRequireDane, nameof(HostsRequireDane));
        RequireTls = Hosts(HostsRequireTls, nameof(HostsRequireTls));
        RequireOcsp = Hosts(HostsRequireOcsp, nameof(HostsRequireOcsp));
        RequestOcsp = Hosts(HostsRequestOcsp, nameof(HostsRequestOcsp));
        VerifyHosts = Hosts(TlsVerifyHosts, nameof(TlsVerifyHosts));
        VerifyCertHostnames = Hosts(TlsVerifyCertHostnames, nameof(TlsVerifyCertHostnames));
        TryVerifyHosts = Hosts(TlsTryVerifyHosts, nameof(TlsTryVerifyHosts));
        Require(MtaStsPort is > 0 and < 65536, "Delivery:MtaStsPort must be a port number");
        Require(MtaStsFetchTimeout > TimeSpan.Zero, "Delivery:MtaStsFetchTimeout must be positive");
        TlsReports.Validate();
        Require(TlsVerifyCertificates == "system" || File.Exists(TlsVerifyCertificates),
            $"Delivery:TlsVerifyCertificates: no file {TlsVerifyCertificates}");

        for (var i = 0; i < Routes.Count; i++)
        {
            Require(Routes[i].Domains.Count > 0, $"Delivery:Routes:{i}:Domains is empty");
            Require(Routes[i].Hosts.Count > 0, $"Delivery:Routes:{i}:Hosts is empty");
            Require((Routes[i].AuthUser is null) == (Routes[i].AuthPassword is null),
                $"Delivery:Routes:{i}: AuthUser and AuthPassword go together");
            Require(Routes[i].AuthUser is null || (Routes[i].AuthUser!.Length > 0 && !Routes[i].AuthUser!.Any(char.IsControl)),
                $"Delivery:Routes:{i}:AuthUser must be a non-empty name without control characters");
            // The password itself is never part of an error.
            Require(Routes[i].AuthPassword is null || (Routes[i].AuthPassword!.Length > 0 && !Routes[i].AuthPassword!.Any(char.IsControl)),
                $"Delivery:Routes:{i}:AuthPassword must be non-empty, without control characters");
        }
    }

    private static HostList Hosts(List<string> items, string name)
    {
        try
        {
            // Delivery knows each server's name (the route's or MX record's): names match too.
            return new HostList(items, names: true);
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"Delivery:{name}: {e.Message}");
        }
    }
}

/// <summary>One entry of <c>Delivery:Routes</c>.</summary>
public sealed class RouteOptions
{
    /// <summary>A domain list (Exim semantics: <c>*</c>, <c>*.suffix</c>, <c>!item</c>, <c>^regex</c>).</summary>
    public List<string> Domains { get; set; } = [];

    /// <summary>The hosts, tried in order: <c>host</c>, <c>host:port</c>, <c>1.2.3.4:25</c>, <c>[::1]:25</c>.</summary>
    public List<string> Hosts { get; set; } = [];

    /// <summary>The local addresses to send from for this route, instead of <c>Delivery:Interface</c>.</summary>
    public List<string>? Interface { get; set; }

    /// <summary>
    /// The user name for SMTP AUTH (RFC 4954) with this route's hosts, as Exim's plaintext client
    /// authenticators send it (<c>client_send</c>): PLAIN when the server offers it, else LOGIN,
    /// only under TLS. Without TLS, or when the server refuses the credentials, the host is
    /// deferred (retry errors <c>tls_required</c> and <c>auth_failed</c>). Default: none, no AUTH.
    /// </summary>
    public string? AuthUser { get; set; }

    /// <summary>The password that goes with <see cref="AuthUser"/>; never logged. Required with it.</summary>
    public string? AuthPassword { get; set; }
}
