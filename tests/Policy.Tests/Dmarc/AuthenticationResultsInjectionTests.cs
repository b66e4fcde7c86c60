using System.Text;
using MimeKit.Cryptography;
using Pipeline.Policy.Dkim;
using Pipeline.Policy.Dmarc;
using Pipeline.Policy.Spf;

namespace Pipeline.Policy.Tests.Dmarc;

/// <summary>
/// What a sender controls in Authentication-Results (a signature's d= and s=, reported even when
/// the signature is malformed; the envelope sender) cannot add a result of its own. Found with the
/// headers fuzz target's properties (tests/Fuzz): a d= of "evil.example dkim=pass header.d=bank.example" was
/// written as it came, and MimeKit read a second, passing, DKIM result.
/// </summary>
public sealed class AuthenticationResultsInjectionTests
{
    [Fact]
    public void a_signature_domain_carrying_a_result_stays_one_quoted_value()
    {
        var authentication = new MessageAuthentication(SpfResult.Fail, "a@b.example",
            [new DkimSignatureOutcome("permerror", "evil.example dkim=pass header.d=bank.example", "s1", "missing tags")],
            "bank.example", new DmarcOutcome("fail", "reject", false, false, "bank.example", "reject", null), DmarcOff: false);

        var header = authentication.Header("mx.example");
        var value = header["Authentication-Results:".Length..].Trim();

        Assert.True(AuthenticationResults.TryParse(Encoding.UTF8.GetBytes(value), out var parsed), value);
        Assert.Equal(["spf=fail", "dkim=permerror", "dmarc=fail"], parsed!.Results.Select(r => $"{r.Method}={r.Result}"));
        Assert.Equal("evil.example dkim=pass header.d=bank.example",
            parsed.Results[1].Properties.Single(p => p.Property == "d").Value);
    }

    [Theory]
    [InlineData("a@b.example", "a@b.example")]
    [InlineData("first.last+tag@b.example", "first.last+tag@b.example")]
    [InlineData("\"a;b\"@b.example", "\"\\\"a;b\\\"@b.example\"")]
    public void a_sender_is_written_as_it_is_only_when_it_needs_no_quotes(string sender, string written)
    {
        var authentication = new MessageAuthentication(SpfResult.Pass, sender, [], null, null, DmarcOff: false);

        Assert.Contains($"smtp.mailfrom={written};", authentication.Header("mx.example"), StringComparison.Ordinal);
    }
}
