using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Pipeline.Delivery.Protocol;
using Pipeline.Delivery.Sts;
using Pipeline.Infrastructure.Dns;

namespace Pipeline.Delivery.Tests.Sts;

/// <summary>
/// RFC 8461 §3 and §5.1's discovery and caching rules, as <see cref="StsPolicies"/> applies
/// them: a policy is fetched for a new id and kept for its max_age; a cached unexpired policy
/// survives a missing record and a failed fetch; a failed fetch is not retried at once.
/// </summary>
public class StsPoliciesTests
{
    private const string Enforce = "version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 3600\r\n";
    private const string Testing = "version: STSv1\r\nmode: testing\r\nmx: *.example.test\r\nmax_age: 3600\r\n";

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly Zone _zone = new();
    private readonly Source _source = new();

    private sealed class Zone : IDnsResolver
    {
        public DnsResult<string> Txt { get; set; } = new(DnsStatus.NameNotFound, [], false);

        public List<string> Asked { get; } = [];

        public Task<DnsResult<string>> GetTxtAsync(string name, CancellationToken cancellationToken)
        {
            Asked.Add(name);
            return Task.FromResult(Txt);
        }

        public Task<DnsResult<MxRecord>> GetMxAsync(string domain, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<DnsResult<IPAddress>> GetAddressesAsync(string host, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<DnsResult<IPAddress>> GetAddressesAsync(string host, System.Net.Sockets.AddressFamily family, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<DnsResult<string>> GetPtrAsync(IPAddress address, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<DnsResult<TlsaRecord>> GetTlsaAsync(string name, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private sealed class Source : IStsPolicySource
    {
        public StsFetch Next { get; set; } = new(Enforce);

        public List<string> Fetched { get; } = [];

        public Task<StsFetch> FetchAsync(string domain, CancellationToken cancellationToken)
        {
            Fetched.Add(domain);
            return Task.FromResult(Next);
        }
    }

    private StsPolicies Policies(bool enabled = true) =>
        new(new DeliveryOptions { MtaSts = enabled }, _zone, _source, _clock, NullLogger<StsPolicies>.Instance);

    private void Record(string id) => _zone.Txt = new DnsResult<string>(DnsStatus.Found, ["v=spf1 -all", $"v=STSv1; id={id};"], false);

    [Fact]
    public async Task a_domain_without_a_record_has_no_policy_and_nothing_is_fetched()
    {
        Assert.Null(await Policies().DiscoverAsync("Example.Test.", default));
        Assert.Equal(["_mta-sts.example.test"], _zone.Asked);
        Assert.Empty(_source.Fetched);
    }

    [Fact]
    public async Task with_mta_sts_off_nothing_is_looked_up()
    {
        Record("1");
        Assert.Null(await Policies(enabled: false).DiscoverAsync("example.test", default));
        Assert.Empty(_zone.Asked);
    }

    [Fact]
    public async Task a_policy_is_fetched_once_for_its_id_and_again_when_the_id_changes()
    {
        var policies = Policies();
        Record("1");
        var first = await policies.DiscoverAsync("example.test", default);
        Assert.Equal(StsMode.Enforce, first!.Policy!.Mode);
        Assert.Equal("1", first.Id);
        Assert.True(first.InForce);

        _source.Next = new StsFetch(Testing);
        Assert.Equal(StsMode.Enforce, (await policies.DiscoverAsync("example.test", default))!.Policy!.Mode);
        Assert.Single(_source.Fetched);

        Record("2");
        var changed = await policies.DiscoverAsync("example.test", default);
        Assert.Equal(StsMode.Testing, changed!.Policy!.Mode);
        Assert.Equal("2", changed.Id);
        Assert.Equal(2, _source.Fetched.Count);
    }

    [Fact]
    public async Task a_cached_policy_is_fetched_again_once_its_max_age_has_passed()
    {
        var policies = Policies();
        Record("1");
        await policies.DiscoverAsync("example.test", default);
        _clock.Advance(TimeSpan.FromSeconds(3599));
        await policies.DiscoverAsync("example.test", default);
        Assert.Single(_source.Fetched);

        _clock.Advance(TimeSpan.FromSeconds(1));
        await policies.DiscoverAsync("example.test", default);
        Assert.Equal(2, _source.Fetched.Count);
    }

    [Theory]
    [InlineData(DnsStatus.NameNotFound)]
    [InlineData(DnsStatus.TemporaryFailure)]
    public async Task a_cached_unexpired_policy_stays_in_force_when_the_record_disappears_until_it_expires(DnsStatus status)
    {
        var policies = Policies();
        Record("1");
        await policies.DiscoverAsync("example.test", default);
        _zone.Txt = new DnsResult<string>(status, [], false, status == DnsStatus.TemporaryFailure ? "SERVFAIL" : null);
        _clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(StsMode.Enforce, (await policies.DiscoverAsync("example.test", default))!.Policy!.Mode);

        _clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Null(await policies.DiscoverAsync("example.test", default));
    }

    [Fact]
    public async Task a_failed_fetch_of_a_new_id_keeps_the_cached_policy_in_force()
    {
        var policies = Policies();
        Record("1");
        await policies.DiscoverAsync("example.test", default);
        Record("2");
        _source.Next = new StsFetch(null, "sts-policy-fetch-error", "connection refused");
        var discovery = await policies.DiscoverAsync("example.test", default);
        Assert.Equal("1", discovery!.Id);
        Assert.Equal(StsMode.Enforce, discovery.Policy!.Mode);
        Assert.Null(discovery.ResultType);
    }

    [Theory]
    [InlineData("sts-policy-fetch-error", null)]
    [InlineData("sts-webpki-invalid", null)]
    [InlineData(null, "version: STSv1\nmode: enforce\nmax_age: 60\n")]
    public async Task without_a_cached_policy_a_failed_discovery_says_why_and_no_policy_is_in_force(string? resultType, string? text)
    {
        Record("1");
        _source.Next = text is null ? new StsFetch(null, resultType, "it failed") : new StsFetch(text);
        var discovery = await Policies().DiscoverAsync("example.test", default);
        Assert.False(discovery!.InForce);
        Assert.Null(discovery.Policy);
        Assert.Equal(resultType ?? "sts-policy-invalid", discovery.ResultType);
        Assert.Null(discovery.For("mx.example.test"));
    }

    [Fact]
    public async Task a_failed_fetch_is_not_tried_again_for_the_same_id_within_five_minutes()
    {
        var policies = Policies();
        Record("1");
        _source.Next = new StsFetch(null, "sts-policy-fetch-error", "timed out");
        await policies.DiscoverAsync("example.test", default);
        _source.Next = new StsFetch(Enforce);
        _clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal("sts-policy-fetch-error", (await policies.DiscoverAsync("example.test", default))!.ResultType);
        Assert.Single(_source.Fetched);

        // A new id is a new policy: fetched at once.
        Record("2");
        Assert.True((await policies.DiscoverAsync("example.test", default))!.InForce);
        Assert.Equal(2, _source.Fetched.Count);
    }

    [Fact]
    public async Task a_failed_fetch_is_tried_again_after_five_minutes()
    {
        var policies = Policies();
        Record("1");
        _source.Next = new StsFetch(null, "sts-policy-fetch-error", "timed out");
        await policies.DiscoverAsync("example.test", default);
        _source.Next = new StsFetch(Enforce);
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.True((await policies.DiscoverAsync("example.test", default))!.InForce);
        Assert.Equal(2, _source.Fetched.Count);
    }

    [Fact]
    public async Task mode_none_is_cached_but_puts_no_policy_in_force()
    {
        Record("1");
        _source.Next = new StsFetch("version: STSv1\nmode: none\nmax_age: 86400\n");
        var discovery = await Policies().DiscoverAsync("example.test", default);
        Assert.Equal(StsMode.None, discovery!.Policy!.Mode);
        Assert.False(discovery.InForce);
        Assert.Null(discovery.For("mx.example.test"));
    }

    [Fact]
    public async Task a_policy_in_force_tells_each_mx_host_whether_it_is_named()
    {
        Record("1");
        _source.Next = new StsFetch(Testing);
        var discovery = await Policies().DiscoverAsync("example.test", default);
        Assert.True(discovery!.For("mx1.example.test")!.MxMatches);
        Assert.False(discovery.For("mx.other.test")!.MxMatches);
        Assert.False(discovery.For("mx1.example.test")!.Enforce);
        Assert.Equal(discovery.For("mx1.example.test"), discovery.For("MX1.example.test"));
    }
}
