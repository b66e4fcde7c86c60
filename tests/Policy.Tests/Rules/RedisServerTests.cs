using Pipeline.Policy.Lookups;
using Pipeline.Policy.Rules;

namespace Pipeline.Policy.Tests.Rules;

public class RedisServerTests
{
    [Theory]
    [InlineData("127.0.0.1/10/", "127.0.0.1", 6379, 10, null)]
    [InlineData("redis.example//secret", "redis.example", 6379, null, "secret")]
    [InlineData("127.0.0.1:6380", "127.0.0.1", 6380, null, null)]
    [InlineData("[::1]/0/pw/with/slashes", "::1", 6379, 0, "pw/with/slashes")]
    public void servers_are_written_as_exim_writes_them(string text, string host, int port, int? database, string? password) =>
        Assert.Equal(new RedisServer(host, port, database, password), RedisServer.Parse(text));

    [Theory]
    [InlineData("127.0.0.1:0")]
    [InlineData("/1/")]
    [InlineData("127.0.0.1/x/")]
    public void malformed_servers_are_refused(string text) => Assert.Throws<FormatException>(() => RedisServer.Parse(text));

    [Fact]
    public void the_password_never_reaches_a_log() => Assert.DoesNotContain("secret", RedisServer.Parse("h//secret").ToString(), StringComparison.Ordinal);

    [Theory]
    [InlineData("<\\n ${lookup redis{SMEMBERS relay_from_ips}}", true)]
    [InlineData("${lookup redis{HGET $domain domain}}", true)]
    [InlineData("${lookup mysql{select 1}}", false)]
    [InlineData("${if def:sender_address {a}{b}}", true)]
    [InlineData("${if eq{$dmarc_domain_policy}{reject}}", true)]
    [InlineData("${if match{$sender_address}{^a}}", false)]
    [InlineData("${sg{$sender_address}{a}{b}}", false)]
    [InlineData("$sender_address ${local_part}", true)]
    public void only_redis_lookups_and_variables_expand(string text, bool supported) =>
        Assert.Equal(supported, Expansion.IsSupported(text));

    [Fact]
    public void a_newline_separated_list_splits_per_line() =>
        Assert.Equal(["127.0.0.1", "192.0.2.0/24"], EximList.Split("<\\n 127.0.0.1\n192.0.2.0/24"));
}
