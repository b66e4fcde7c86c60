using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts.Policy;
using Pipeline.Infrastructure.Dns;
using Pipeline.Policy.Dkim;
using Pipeline.Policy.Dmarc;
using Pipeline.Policy.Lookups;
using Pipeline.Policy.Rules;
using Pipeline.Policy.Spf;
using Pipeline.Policy.Verdicts;

namespace Pipeline.Policy.Benchmarks;

/// <summary>
/// SPF for a record shaped like a large sender's (includes, a, mx, CIDR blocks), with every
/// answer in memory as a warm cache gives it; and the whole policy decision for one message
/// (HELO, MAIL, RCPT, predata and data checks under the rules of docs/rules.md's SPF example).
/// </summary>
[MemoryDiagnoser]
public class PolicyBenchmarks
{
    private static readonly IPAddress Client = IPAddress.Parse("198.51.100.77");
    private SpfChecker _spf = null!;
    private RuleVerdicts _verdicts = null!;

    [GlobalSetup]
    public void Setup()
    {
        var zone = new MemoryZone();
        zone.Txt["example.com"] = ["v=spf1 ip4:192.0.2.0/24 include:_spf.example.net include:_spf.mail.example.org a mx ~all", "google-site-verification=abc"];
        zone.Txt["_spf.example.net"] = ["v=spf1 ip4:203.0.113.0/24 ip6:2001:db8::/32 include:_netblocks.example.net -all"];
        zone.Txt["_netblocks.example.net"] = ["v=spf1 ip4:198.18.0.0/15 ip4:100.64.0.0/10 ip4:172.16.0.0/12 -all"];
        zone.Txt["_spf.mail.example.org"] = ["v=spf1 ip4:198.51.100.0/24 -all"];
        zone.Addresses["example.com"] = [IPAddress.Parse("192.0.2.10")];
        zone.Mx["example.com"] = [new MxRecord(10, "mx1.example.com"), new MxRecord(20, "mx2.example.com")];
        zone.Addresses["mx1.example.com"] = [IPAddress.Parse("192.0.2.25")];
        zone.Addresses["mx2.example.com"] = [IPAddress.Parse("192.0.2.26")];
        _spf = new SpfChecker(zone);

        var options = new PolicyOptions { PrimaryHostname = "mx.bench.test" };
        var rules = RuleFileParser.Parse("""
            rcpt:
              deny    spf = fail
                      message = $sender_host_address is not allowed to send mail from $sender_address_domain
              defer   spf = temperror
                      message = Temporary DNS error while checking SPF record.  Try again later.
              warn    add_header = $spf_received
              accept  domains = bench.test
              deny    message = relay not permitted
            """, "bench.rules");
        var services = new PolicyServices(_spf, new DkimChecker(zone), new DmarcEvaluator(zone, PublicSuffixList.Load(options.PublicSuffixList)),
            new RedisLookup(options, NullLogger<RedisLookup>.Instance), options.PrimaryHostname);
        _verdicts = new RuleVerdicts(options, rules, new StaticVerdicts(options), new AclEvaluator(NullLogger<AclEvaluator>.Instance), services,
            NullLogger<RuleVerdicts>.Instance);
    }

    [Benchmark]
    public Task<SpfOutcome> SpfOfALargeSendersRecord() =>
        _spf.CheckAsync(Client, "newsletter@example.com", "mail.example.com", "mx.bench.test", CancellationToken.None);

    [Benchmark]
    public async Task<PolicyAction> WholeDecisionForOneMessage()
    {
        IReadOnlyDictionary<string, string>? variables = null;
        PolicyVerdict? verdict = null;
        foreach (var (stage, recipient) in new (PolicyStage, string?)[]
                 { (PolicyStage.Helo, null), (PolicyStage.Mail, null), (PolicyStage.Rcpt, "a@bench.test"), (PolicyStage.Rcpt, "b@bench.test"), (PolicyStage.Predata, null), (PolicyStage.Data, null) })
        {
            var check = new CheckPolicy("conn", stage, "198.51.100.77", 40000, "mail.example.com", stage == PolicyStage.Helo ? null : "newsletter@example.com",
                recipient, null, stage == PolicyStage.Data ? 2048 : null, DateTimeOffset.MaxValue, Variables: variables);
            verdict = await _verdicts.DecideAsync(check, CancellationToken.None);
            variables = verdict.Variables ?? variables;
        }

        return verdict!.Action;
    }
}
