using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts.Policy;
using Pipeline.Policy.Dkim;
using Pipeline.Policy.Dmarc;
using Pipeline.Policy.Rules;
using Pipeline.Policy.Spf;
using Pipeline.Policy.Tests.Conformance;

namespace Pipeline.Policy.Tests.Rules;

public class AclTests
{
    // One SPF record, served the way the suite's zones are.
    private static readonly SuiteZone Zone = new(JsonDocument.Parse("""
        { "example.org": [ { "type": "TXT", "strings": [ "v=spf1 ip4:192.0.2.1 -all" ] } ] }
        """).RootElement);

    private static readonly PolicyServices Services = new(new SpfChecker(Zone), new DkimChecker(Zone),
        new DmarcEvaluator(Zone, TestData.Suffixes), null, "mx.test");

    private static CheckPolicy Check(PolicyStage stage, string client = "192.0.2.1", string? sender = "alice@example.org",
        string? recipient = "bob@example.net", IReadOnlyDictionary<string, string>? variables = null, string? authenticated = null) =>
        new("conn", stage, client, 40000, "client.example.org", sender, recipient, null, null, DateTimeOffset.MaxValue,
            AuthenticatedId: authenticated, Variables: variables);

    private static Task<PolicyVerdict> RunAsync(string rules, CheckPolicy check)
    {
        var set = RuleFileParser.Parse(rules, "test.rules");
        return new AclEvaluator(NullLogger<AclEvaluator>.Instance).EvaluateAsync(set.For(check.Stage)!, new PolicyContext(check, Services, default));
    }

    [Fact]
    public async Task the_first_statement_whose_conditions_all_hold_decides()
    {
        const string rules = """
            rcpt:
              deny    hosts = 10.0.0.0/8
                      message = no internal clients
              accept  domains = example.net
                      local_parts = bob : carol
              deny    message = unknown user $local_part@$domain
            """;
        Assert.Equal(PolicyAction.Accept, (await RunAsync(rules, Check(PolicyStage.Rcpt))).Action);
        var denied = await RunAsync(rules, Check(PolicyStage.Rcpt, recipient: "dave@example.net"));
        Assert.Equal((PolicyAction.Deny, "unknown user dave@example.net"), (denied.Action, denied.Message));
        Assert.Equal("no internal clients", (await RunAsync(rules, Check(PolicyStage.Rcpt, client: "10.1.2.3"))).Message);
    }

    [Fact]
    public async Task require_denies_when_a_condition_fails_and_the_end_is_an_implicit_deny()
    {
        const string rules = """
            mail:
              require message = only example.org here
                      senders = *@example.org
              accept  authenticated = *
            """;
        var foreign = await RunAsync(rules, Check(PolicyStage.Mail, sender: "eve@example.com"));
        Assert.Equal((PolicyAction.Deny, "only example.org here"), (foreign.Action, foreign.Message));
        Assert.Equal(PolicyAction.Accept, (await RunAsync(rules, Check(PolicyStage.Mail, authenticated: "alice"))).Action);
        Assert.Equal(PolicyAction.Deny, (await RunAsync(rules, Check(PolicyStage.Mail))).Action);
    }

    [Fact]
    public async Task spf_conditions_take_lists_with_negation_and_warn_adds_headers()
    {
        const string rules = """
            rcpt:
              deny    spf = fail : softfail
                      message = SPF says $spf_result
              warn    !spf = pass
                      add_header = X-Doubt: yes
              warn    add_header = $spf_received
              accept
            """;
        var fail = await RunAsync(rules, Check(PolicyStage.Rcpt, client: "192.0.2.99"));
        Assert.Equal((PolicyAction.Deny, "SPF says fail"), (fail.Action, fail.Message));

        var pass = await RunAsync(rules, Check(PolicyStage.Rcpt));
        Assert.Equal(PolicyAction.Accept, pass.Action);
        var header = Assert.Single(pass.AddHeaders!);
        Assert.StartsWith("Received-SPF: pass (mx.test: domain of alice@example.org designates 192.0.2.1 as permitted sender)", header, StringComparison.Ordinal);
        Assert.Equal("pass", pass.Variables!["spf_result"]);
    }

    [Fact]
    public async Task acl_variables_are_set_and_carried_to_later_checks()
    {
        const string rules = """
            mail:
              accept  set acl_m_first = $sender_address_domain
            rcpt:
              deny    condition = $acl_m_first
                      message = sender domain was $acl_m_first
            """;
        var mail = await RunAsync(rules, Check(PolicyStage.Mail));
        Assert.Equal("example.org", mail.Variables!["acl_m_first"]);
        var rcpt = await RunAsync(rules, Check(PolicyStage.Rcpt, variables: mail.Variables));
        Assert.Equal("sender domain was example.org", rcpt.Message);
        Assert.Equal(PolicyAction.Deny, (await RunAsync(rules, Check(PolicyStage.Rcpt))).Action);
    }

    [Theory]
    [InlineData("deny hosts = *", "a statement before any ACL name")]
    [InlineData("rcpt:\n  deny colour = red", "test.rules:2: unknown condition or modifier 'colour'")]
    [InlineData("rcpt:\n  deny\n    message = ${sg{a}{b}{x}}", "test.rules:3: '${sg{a}{b}{x}}' uses an Exim expansion operator")]
    [InlineData("rcpt:\nrcpt:", "test.rules:2: a second ACL for Rcpt")]
    [InlineData("smtp:", "unknown ACL 'smtp'")]
    [InlineData("rcpt:\n  deny !message = x", "'!' applies to conditions only")]
    public void mistakes_are_reported_with_their_line(string rules, string error) =>
        Assert.Contains(error, Assert.Throws<FormatException>(() => RuleFileParser.Parse(rules, "test.rules")).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("${if eq{$sender_address_domain}{example.org}}", "true")]
    [InlineData("${if eq{$sender_address_domain}{EXAMPLE.org}}", "")]
    [InlineData("${if eqi{$sender_address_domain}{EXAMPLE.org} {same}{other}}", "same")]
    [InlineData("${if !eq{$sender_address_domain}{example.org} {other}{same}}", "same")]
    [InlineData("${if def:authenticated_id {$authenticated_id}{anonymous}}", "anonymous")]
    [InlineData("${if !def:sender_address {none}{<$sender_address>}}", "<alice@example.org>")]
    [InlineData("x ${if eq{${if eq{a}{a}}}{true} {nested}} y", "x nested y")]
    public async Task if_expressions_choose_as_exims_do(string text, string expanded)
    {
        Assert.True(Expansion.IsSupported(text));
        Assert.Equal(expanded, await Expansion.ExpandAsync(text, new PolicyContext(Check(PolicyStage.Mail), Services, default)));
    }

    [Fact]
    public void lists_split_as_exims_do()
    {
        Assert.Equal(["a", "b:c", "d"], EximList.Split("a : b::c : d"));
        Assert.Equal(["::1", "10.0.0.1"], EximList.Split("<; ::1 ; 10.0.0.1"));
        Assert.Equal([""], EximList.Split(":").Take(1));
        Assert.True(EximList.Matches(["!a", "b"], i => i == "b"));
        Assert.False(EximList.Matches(["!a", "*"], i => i == "a"));
        Assert.True(EximList.Matches(["!a"], _ => false));
    }
}
