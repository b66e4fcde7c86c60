using System.Text;
using CsCheck;
using MimeKit;
using MimeKit.Cryptography;
using Pipeline.Policy.Dkim;
using Pipeline.Policy.Dmarc;
using Pipeline.Policy.Spf;

namespace Pipeline.Policy.Tests.Dmarc;

/// <summary>
/// The Authentication-Results header the pipeline writes (RFC 8601), read back by MimeKit's
/// parser: one header, the authserv-id, then spf, each dkim and dmarc with the results and
/// properties written, whatever the sender, the HELO name or a signature's d= and s= held.
/// </summary>
public class MessageAuthenticationPropertyTests
{
    private static Gen<string> Text(string chars, int min, int max) => Gen.Char[chars].Array[min, max].Select(c => new string(c));

    private static readonly Gen<string> Domain =
        Text("abcdefghijklmnopqrstuvwxyz0123456789-", 1, 12).Array[1, 4].Select(l => string.Join('.', l.Select(x => x.Trim('-').Length == 0 ? "x" : x.Trim('-'))));

    // What a client or a signature may put where the header shows it: blanks, quotes,
    // parentheses, '=', '\', non-ASCII, a whole fake result.
    private static readonly Gen<string> Hostile = Gen.Frequency(
            (4, Gen.Char['!', '~'].Select(c => c.ToString())),
            (1, Gen.OneOf(" ", "\t", "é", "中", " dkim=pass", "(", ")", "\"", "\\", "=", "@", "header.d=bank.example")))
        .Array[0, 12].Select(string.Concat).Where(s => !s.Contains(';', StringComparison.Ordinal));

    // The SPF identity: a sender as MAIL FROM accepts it, or postmaster@ and the HELO name.
    private static readonly Gen<string> Identity = Gen.Frequency(
        (3, Gen.Select(Text("abcdefghijklmnopqrstuvwxyz0123456789.!#$%&'*+-/=?^_`{|}~", 1, 12), Domain, (l, d) => l + "@" + d)),
        (1, Gen.Select(Text("abc xyz;()<>@,\\\"", 0, 10), Domain, (l, d) => "\"" + l.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"@" + d)),
        (1, Gen.Select(Text("abcé中", 1, 6), Domain, (l, d) => l + "@" + d)),
        (2, Gen.Frequency((3, Gen.Char['!', '~'].Select(c => c.ToString())), (1, Gen.OneOf(";dmarc=pass", "é", "(x"))).Array[1, 10]
            .Select(h => "postmaster@" + string.Concat(h))));

    private static readonly Gen<DkimSignatureOutcome> Signature = Gen.Select(
        Gen.OneOf("pass", "fail", "permerror", "temperror"),
        Gen.Frequency((4, Domain), (1, Gen.Const("")), (2, Hostile)),
        Gen.Frequency((4, Text("abcdefghij0123456789", 1, 10)), (1, Gen.Const("")), (2, Hostile)),
        (result, domain, selector) => new DkimSignatureOutcome(result, domain, selector, result == "pass" ? null : "why"));

    private static readonly Gen<string?> FromDomain = Gen.Frequency((5, Domain), (1, Gen.OneOf("bücher.example", "[192.0.2.1]", "xn--bcher-kva.example"))).Null(0.2);

    private static readonly Gen<DmarcOutcome> Dmarc = Gen.Select(
        Gen.OneOf("pass", "fail", "none", "temperror", "permerror"), Gen.OneOf("none", "quarantine", "reject"),
        Gen.OneOf("none", "quarantine", "reject").Null(0.2),
        (result, disposition, policy) => new DmarcOutcome(result, disposition, false, false, null, policy, null));

    private static readonly Gen<MessageAuthentication> Authentication = Gen.Select(
        Gen.Enum<SpfResult>(), Identity, Signature.Array[0, 3], FromDomain, Dmarc, Gen.Bool,
        (spf, identity, dkim, from, dmarc, off) => new MessageAuthentication(spf, identity, dkim, from, from is null ? null : dmarc, off));

    // A property as MimeKit reads it: the value unquoted. Controls are dropped when written.
    private static (string, string, string) Property(string type, string name, string value) =>
        (type, name, new string(value.Where(c => !char.IsControl(c)).ToArray()));

    [Fact]
    public void the_header_parses_back_to_what_was_written()
    {
        Gen.Select(Authentication, Domain).Sample((auth, authservId) =>
        {
            var text = auth.Header(authservId);
            var shown = text.ReplaceLineEndings("\\r\\n");
            var headers = HeaderList.Load(new MemoryStream(Encoding.UTF8.GetBytes(text + "\r\n")));
            Assert.True(headers.Count == 1, shown);
            Assert.Equal("Authentication-Results", headers[0].Field);
            Assert.True(AuthenticationResults.TryParse(headers[0].RawValue, out var parsed), shown);
            Assert.Equal(authservId, parsed.AuthenticationServiceIdentifier);

            var expected = new List<(string Method, string Result, string? Comment, (string, string, string)[] Properties)>
            {
                ("spf", auth.Spf.Name(), null, [Property("smtp", "mailfrom", auth.SpfIdentity)]),
            };
            if (auth.Dkim.Count == 0)
                expected.Add(("dkim", "none", null, []));
            foreach (var d in auth.Dkim)
                expected.Add(("dkim", d.Result, null, [Property("header", "d", d.Domain), Property("header", "s", d.Selector)]));
            if (!auth.DmarcOff && auth.FromDomain is null)
                expected.Add(("dmarc", "permerror", "no single From address", []));
            else if (!auth.DmarcOff)
                expected.Add(("dmarc", auth.Dmarc!.Result, auth.Dmarc.Result is "none" or "temperror" ? null : $"p={auth.Dmarc.AppliedPolicy} dis={auth.Dmarc.Disposition}",
                    [Property("header", "from", auth.FromDomain!)]));

            Assert.Equal(expected.Select(e => (e.Method, e.Result, e.Comment)),
                parsed.Results.Select(r => (r.Method, r.Result, r.ResultComment)));
            Assert.Equal(expected.Select(e => string.Join('|', e.Properties)),
                parsed.Results.Select(r => string.Join('|', r.Properties.Select(p => (p.PropertyType, p.Property, p.Value)))));
        }, print: a => a.Item1.Header(a.Item2).ReplaceLineEndings("\\r\\n"));
    }

    // A signature's d= with a blank and a fake result, or a HELO name with a ';', written as
    // they came, would add a result of their own to the header.
    [Theory]
    [InlineData("evil.example dkim=pass", "s1", "postmaster@helo.example")]
    [InlineData("evil.example", "s1", "postmaster@x;dmarc=pass")]
    public void a_value_cannot_add_a_result(string domain, string selector, string identity)
    {
        var auth = new MessageAuthentication(SpfResult.Pass, identity, [new DkimSignatureOutcome("permerror", domain, selector, "bad")], null, null, DmarcOff: true);
        var parsed = AuthenticationResults.Parse(Encoding.UTF8.GetBytes(auth.Header("mx.example")["Authentication-Results:".Length..]));
        Assert.Equal(["spf", "dkim"], parsed.Results.Select(r => r.Method));
        Assert.Equal(domain, parsed.Results[1].Properties[0].Value);
        Assert.Equal(identity, parsed.Results[0].Properties[0].Value);
    }
}
