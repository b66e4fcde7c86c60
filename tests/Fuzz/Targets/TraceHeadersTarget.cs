using System.Text;
using MimeKit;
using MimeKit.Cryptography;
using Pipeline.Ingress.Protocol;
using Pipeline.Ingress.Spool;
using Pipeline.Policy.Dkim;
using Pipeline.Policy.Dmarc;
using Pipeline.Policy.Spf;

namespace Pipeline.Fuzz.Targets;

/// <summary>
/// The Received and Authentication-Results writers, fed what strangers control (the HELO name,
/// the envelope addresses, a signature's d= and s=): each header read back by MimeKit is one
/// header of the right name, nothing a client sent starts a header of its own, and
/// Authentication-Results parses with MimeKit to the methods and results written.
/// </summary>
internal static class TraceHeadersTarget
{
    private static readonly DateTimeOffset When = new(2026, 12, 7, 12, 0, 0, TimeSpan.FromHours(1));

    public static void Run(byte[] input)
    {
        var fields = Encoding.UTF8.GetString(input).Split('\0');
        string Field(int i) => i < fields.Length ? fields[i] : "";

        var received = ReceivedHeader.Format(Field(0), "192.0.2.1", 2525, "mx.example", "esmtps", "msg-1", [Field(1)], When);
        var one = Single(received, "Received");
        Property.Require(one.Value.Contains("by mx.example with ESMTPS", StringComparison.Ordinal), "the Received header lost its by clause");

        // d= and s= as a DKIM-Signature's tag list can carry them: no ';', blanks but no other whitespace.
        string Tag(int i) => new(Field(i).Where(c => c != ';' && (!char.IsWhiteSpace(c) || c == ' ')).ToArray());
        // The From domain as MimeKit reads it from the message, lower-cased.
        var fromDomain = MailboxAddress.TryParse("a@" + Field(5), out var from) && from.Domain.Length > 0 ? from.Domain.ToLowerInvariant() : null;
        // The SPF identity is the envelope sender ingress accepted.
        var identity = PathArgument.Parse($"FROM:<{Field(2)}>", "FROM", allowNull: false, out _)?.Address ?? "postmaster@mx.example.org";
        var authentication = new MessageAuthentication((SpfResult)(input.Length % 7), identity,
            Tag(3).Trim().Length == 0 ? [] : [new DkimSignatureOutcome("permerror", Tag(3).Trim(), Tag(4).Trim())],
            fromDomain, fromDomain is null ? null : new DmarcOutcome("pass", "none", true, true, fromDomain, "none", null),
            DmarcOff: false);
        var header = Single(authentication.Header("mx.example") + "\r\n", "Authentication-Results");
        Property.Require(AuthenticationResults.TryParse(Encoding.UTF8.GetBytes(header.Value), out var parsed) && parsed is not null,
            $"MimeKit cannot read '{header.Value}'");
        var methods = parsed!.Results.Select(r => $"{r.Method}={r.Result}").ToList();
        var expected = new List<string> { $"spf={authentication.Spf.Name()}" };
        expected.AddRange(authentication.Dkim.Count == 0 ? ["dkim=none"] : authentication.Dkim.Select(d => $"dkim={d.Result}"));
        expected.Add(fromDomain is null ? "dmarc=permerror" : "dmarc=pass");
        Property.Require(parsed!.AuthenticationServiceIdentifier == "mx.example" && methods.SequenceEqual(expected),
            $"'{header.Value}' reads as {string.Join("; ", methods)}");
    }

    private static Header Single(string text, string name)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text + "\r\n"));
        var headers = HeaderList.Load(ParserOptions.Default, stream);
        Property.Require(headers.Count == 1 && headers[0].Field == name, $"'{text}' reads as {headers.Count} headers: {string.Join(", ", headers.Select(h => h.Field))}");
        return headers[0];
    }
}
